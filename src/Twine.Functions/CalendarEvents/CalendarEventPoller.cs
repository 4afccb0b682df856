using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Queries;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// Calendar events of the organization changed since the checkpoint: cursor paging through GET /calendar_event with
/// filter[updated_at]=[watermark - overlap, now). The upper bound is fixed when a catch-up starts and becomes the
/// watermark when it completes: an event changed while the catch-up runs has updated_at past it and is read by the next
/// one, whatever its position in the list. A run that stops early saves Twine's cursor and the range.
/// </summary>
public sealed partial class CalendarEventPoller(
    ITwineClient twine,
    PollingTables tables,
    PollCheckpointStore checkpoints,
    CalendarEventLinkStore links,
    IOptions<PollingOptions> options,
    TimeProvider timeProvider,
    ILogger<CalendarEventPoller> logger) : ITwineUpdatesSource
{
    private const int Parallelism = 8;
    private readonly PollingOptions _options = options.Value;

    public static string StreamName(string organization) => "calendar_event.organization." + organization;

    /// <summary>One stream: the organization's calendar events.</summary>
    public Task<IReadOnlyList<string>> GetStreamsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([StreamName(_options.Organization)]);

    Task<StreamResult> ITwineUpdatesSource.PollAsync(string stream, PollBudget budget, CancellationToken cancellationToken) =>
        PollAsync(budget, cancellationToken);

    public async Task<StreamResult> PollAsync(PollBudget budget, CancellationToken cancellationToken)
    {
        var stream = StreamName(_options.Organization);
        var checkpoint = await checkpoints.GetAsync(stream, cancellationToken).ConfigureAwait(false);
        int pages = 0, rows = 0, requests = 0;

        for (var round = 0; round < 2; round++)
        {
            var resuming = checkpoint.HasResume;
            var from = resuming ? checkpoint.ResumeFrom ?? DateTimeOffset.UnixEpoch : (checkpoint.Watermark - _options.CalendarOverlap) ?? DateTimeOffset.UnixEpoch;
            var until = resuming ? checkpoint.ResumeUntil!.Value : timeProvider.GetUtcNow();
            var cursor = resuming && checkpoint.ResumePosition is { Length: > 0 } saved ? saved : null;
            if (until <= from)
            {
                break;
            }

            while (true)
            {
                if (pages > 0 && budget.IsSpent)
                {
                    await checkpoints.SaveProgressAsync(checkpoint, from, until, cursor ?? "", cancellationToken).ConfigureAwait(false);
                    LogStopped(stream, pages, rows);
                    return new StreamResult(stream, StreamOutcome.BudgetSpent, pages, rows, requests);
                }

                TwinePage<CalendarEventResource> page;
                try
                {
                    page = await twine.FetchCalendarEventsAsync(new CalendarEventQuery
                    {
                        Organization = _options.Organization,
                        UpdatedAt = new DateRange(from, until),
                        PageLimit = _options.PageSize,
                        PageAfter = cursor,
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (TwineApiException e) when (e.IsTransient)
                {
                    await checkpoints.SaveProgressAsync(checkpoint, from, until, cursor ?? "", cancellationToken).ConfigureAwait(false);
                    LogTwineUnavailable(stream, (int?)e.StatusCode, e.RequestId, pages);
                    return new StreamResult(stream, StreamOutcome.TwineUnavailable, pages, rows, requests);
                }
                catch (TwineApiException e) when (cursor is not null && e.HasErrorCode("InvalidParameter"))
                {
                    // The cursor's event was deleted since: read the range again from its start (upserts make that harmless).
                    LogCursorLost(stream, e.RequestId);
                    cursor = null;
                    continue;
                }
                catch (TwineApiException e)
                {
                    LogRefused(stream, (int?)e.StatusCode, e.ErrorCode, e.RequestId);
                    return new StreamResult(stream, StreamOutcome.Refused, pages, rows, requests);
                }

                pages++;
                var (written, sent) = await StoreAsync(page.Data, cancellationToken).ConfigureAwait(false);
                rows += written;
                requests += sent;

                var next = NextCursor(page);
                if (next is null || page.Data.Count == 0)
                {
                    checkpoint = await checkpoints.CompleteAsync(checkpoint, until, cancellationToken).ConfigureAwait(false);
                    LogCaughtUp(stream, pages, rows);
                    break;
                }

                cursor = next;
            }

            if (!resuming)
            {
                break;
            }
        }

        return new StreamResult(stream, StreamOutcome.CaughtUp, pages, rows, requests);
    }

    /// <summary>Twine's opaque cursor from links.next (page[after], or page[cursor] as some of the spec names it).</summary>
    private static string? NextCursor(TwinePage<CalendarEventResource> page)
    {
        if (!page.HasNextPage)
        {
            return null;
        }

        var next = page.Links!.Next!;
        var query = next.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? QueryHelpers.ParseQuery(next[q..]) : [];
        return query.TryGetValue("page[after]", out var after) && after.Count > 0 ? after[0]
            : query.TryGetValue("page[cursor]", out var c) && c.Count > 0 ? c[0]
            : null;
    }

    private async Task<(int Rows, int Requests)> StoreAsync(IReadOnlyList<CalendarEventResource> events, CancellationToken cancellationToken)
    {
        var polledAt = timeProvider.GetUtcNow();
        var rows = 0;
        var requests = 0;
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (resource, ct) =>
        {
            if (CalendarEventRow.From(resource, polledAt) is not { } row)
            {
                return;
            }

            var (sent, written) = await UpsertIfNewerAsync(row, ct).ConfigureAwait(false);
            Interlocked.Add(ref requests, sent);
            if (written)
            {
                Interlocked.Increment(ref rows);
            }
        }).ConfigureAwait(false);
        return (rows, requests);
    }

    /// <summary>
    /// Writes the row unless the stored one is newer (a slower overlapping run must not put an older version back):
    /// read, then replace with the ETag read or insert; on a conflict decide again (<see cref="OptimisticUpdate"/>). An unchanged event that is already
    /// tied to its externalId (the overlap re-reads some) costs the read only.
    /// </summary>
    private async Task<(int Requests, bool Written)> UpsertIfNewerAsync(CalendarEventRow row, CancellationToken cancellationToken)
    {
        var requests = 0;
        var written = await OptimisticUpdate.RunAsync<CalendarEventRow, bool>(tables.CalendarEvents, row.PartitionKey, row.RowKey, async (current, ct) =>
        {
            requests++; // the read
            if (current is not null && (current.UpdatedAt > row.UpdatedAt || (current.UpdatedAt == row.UpdatedAt && current.ExternalId is not null)))
            {
                return OptimisticChange<CalendarEventRow, bool>.Decline(false);
            }

            row.ExternalId = current?.ExternalId;
            if (row.ExternalId is null)
            {
                requests++;
                row.ExternalId = await links.FindExternalIdAsync(row.PartitionKey, ct).ConfigureAwait(false);
            }

            requests++; // the write
            return OptimisticChange<CalendarEventRow, bool>.Put(row, true);
        }, cancellationToken).ConfigureAwait(false);
        return (requests, written);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Poll {Stream}: caught up after {Pages} pages, {Rows} rows written")]
    private partial void LogCaughtUp(string stream, int pages, int rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "Poll {Stream}: time budget spent after {Pages} pages, {Rows} rows written; the next run continues")]
    private partial void LogStopped(string stream, int pages, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {Stream}: Twine unavailable (status {StatusCode}, req_id {RequestId}) after {Pages} pages; the next run continues")]
    private partial void LogTwineUnavailable(string stream, int? statusCode, string? requestId, int pages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {Stream}: Twine no longer knows the saved cursor (req_id {RequestId}); reading the range from its start")]
    private partial void LogCursorLost(string stream, string? requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Poll {Stream}: Twine refused the query (status {StatusCode}, code {ErrorCode}, req_id {RequestId})")]
    private partial void LogRefused(string stream, int? statusCode, string? errorCode, string? requestId);
}
