using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Queries;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Secrets;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// Email history of one sender. GET /email_history has no date filter, so a catch-up pages from the newest email
/// (sort=-send_time) down to the last watermark minus the overlap window, upserting every email; then the watermark
/// becomes the newest send_time it saw. A run that stops early saves the page to continue from: emails arriving
/// meanwhile are newer, so they only push older ones to later pages (read twice, never skipped), and the next catch-up
/// from the top picks them up.
/// </summary>
public sealed partial class EmailHistoryPoller(
    ITwineClient twine,
    PollingTables tables,
    PollCheckpointStore checkpoints,
    EmailAddressHasher hasher,
    EmailSenderDirectory senders,
    EmailRecheckQueue recheck,
    IOptions<PollingOptions> options,
    TimeProvider timeProvider,
    ILogger<EmailHistoryPoller> logger) : ITwineUpdatesSource
{
    private readonly PollingOptions _options = options.Value;

    public static string StreamName(string senderId) => "email_history.sender." + senderId;

    /// <summary>A stream per sender: every coach of the organization (<see cref="EmailSenderDirectory"/>) and the configured ones.</summary>
    public Task<IReadOnlyList<string>> GetStreamsAsync(CancellationToken cancellationToken) => senders.GetSendersAsync(cancellationToken);

    Task<StreamResult> ITwineUpdatesSource.PollAsync(string stream, PollBudget budget, CancellationToken cancellationToken) =>
        PollSenderAsync(stream, budget, cancellationToken);

    public async Task<StreamResult> PollSenderAsync(string senderId, PollBudget budget, CancellationToken cancellationToken)
    {
        var stream = StreamName(senderId);
        EmailHashKey key;
        try
        {
            key = await hasher.GetKeyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SecretUnavailableException ex)
        {
            // Only this stream stops (the health check says why); calendar polling and the webhooks go on.
            LogKeyUnavailable(stream, ex.SecretName, ex.Status ?? 0, ex.ErrorCode);
            return new StreamResult(stream, StreamOutcome.NotConfigured, 0, 0, 0);
        }

        var checkpoint = await checkpoints.GetAsync(stream, cancellationToken).ConfigureAwait(false);
        var counts = new Counts();

        // At most two catch-ups per run: the one an earlier run left unfinished, then one from the top for what came since.
        for (var round = 0; round < 2; round++)
        {
            var resuming = checkpoint.HasResume && int.TryParse(checkpoint.ResumePosition, CultureInfo.InvariantCulture, out _);
            var from = resuming ? checkpoint.ResumeFrom : checkpoint.Watermark - _options.EmailOverlap;
            var until = resuming ? checkpoint.ResumeUntil : null;
            var pageNumber = resuming ? int.Parse(checkpoint.ResumePosition!, CultureInfo.InvariantCulture) : 1;

            while (true)
            {
                if (counts.Pages > 0 && budget.IsSpent)
                {
                    if (until is { } u)
                    {
                        await checkpoints.SaveProgressAsync(checkpoint, from, u, Position(pageNumber), cancellationToken).ConfigureAwait(false);
                    }

                    LogStopped(stream, "time budget spent", pageNumber, counts.Stored);
                    return counts.Result(stream, StreamOutcome.BudgetSpent);
                }

                TwinePage<EmailHistoryResource> page;
                try
                {
                    page = await twine.FetchEmailHistoriesAsync(new EmailHistoryQuery
                    {
                        Sender = senderId,
                        Sort = EmailHistoryQuery.SendTimeDescending,
                        PageNumber = pageNumber,
                        PageSize = _options.PageSize,
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (TwineApiException e) when (e.IsTransient)
                {
                    if (until is { } u)
                    {
                        await checkpoints.SaveProgressAsync(checkpoint, from, u, Position(pageNumber), cancellationToken).ConfigureAwait(false);
                    }

                    LogTwineUnavailable(stream, (int?)e.StatusCode, e.RequestId, pageNumber);
                    return counts.Result(stream, StreamOutcome.TwineUnavailable);
                }
                catch (TwineApiException e)
                {
                    LogRefused(stream, (int?)e.StatusCode, e.ErrorCode, e.RequestId);
                    return counts.Result(stream, StreamOutcome.Refused);
                }

                counts.Pages++;
                var emails = page.Data;
                if (until is null)
                {
                    // Sorted newest first: the first email of the first page bounds this catch-up.
                    until = emails.Select(e => e.Attributes?.SendTime).FirstOrDefault(t => t is not null);
                    if (until is null)
                    {
                        return counts.Result(stream, StreamOutcome.CaughtUp); // no email from this sender yet
                    }
                }

                await StoreAsync(emails, key, counts, cancellationToken).ConfigureAwait(false);

                var reachedOld = from is { } f && emails.Any(e => e.Attributes?.SendTime < f);
                if (reachedOld || !page.HasNextPage || emails.Count < _options.PageSize)
                {
                    checkpoint = await checkpoints.CompleteAsync(checkpoint, until.Value, cancellationToken).ConfigureAwait(false);
                    LogCaughtUp(stream, counts.Pages, counts.Stored);
                    break;
                }

                pageNumber++;
            }

            if (!resuming)
            {
                break;
            }
        }

        return counts.Result(stream, StreamOutcome.CaughtUp);
    }

    private async Task StoreAsync(IReadOnlyList<EmailHistoryResource> emails, EmailHashKey key, Counts counts, CancellationToken cancellationToken)
    {
        var polledAt = timeProvider.GetUtcNow();
        var rows = new List<TableEntity>(emails.Count);
        foreach (var email in emails)
        {
            if (EmailHistoryRow.From(email, key, polledAt) is { } row)
            {
                rows.Add(row);
            }
            else
            {
                counts.Skipped++;
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        counts.Batches += await TableBatchWriter.UpsertAsync(tables.EmailHistory, rows, TableTransactionActionType.UpsertMerge, cancellationToken).ConfigureAwait(false);
        counts.Stored += rows.Count;

        // Emails not final yet are read again by id later (EmailRecheckPoller), after the row they update exists.
        var stored = rows.Select(r => r.RowKey).ToHashSet(StringComparer.Ordinal);
        counts.Batches += await recheck.ScheduleAsync(emails.Where(e => e.Id is not null && stored.Contains(e.Id)), polledAt, cancellationToken).ConfigureAwait(false);
    }

    private static string Position(int pageNumber) => pageNumber.ToString(CultureInfo.InvariantCulture);

    private sealed class Counts
    {
        public int Pages;
        public int Stored;
        public int Batches;
        public int Skipped;

        public StreamResult Result(string stream, StreamOutcome outcome) => new(stream, outcome, Pages, Stored, Batches);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Poll {Stream}: not polled, the email hash key secret {SecretName} is unavailable (status {Status}, {ErrorCode}); email addresses are never stored unhashed")]
    private partial void LogKeyUnavailable(string stream, string secretName, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Poll {Stream}: caught up after {Pages} pages, {Stored} rows upserted")]
    private partial void LogCaughtUp(string stream, int pages, int stored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Poll {Stream}: stopped ({Reason}) before page {Page}, {Stored} rows upserted; the next run continues")]
    private partial void LogStopped(string stream, string reason, int page, int stored);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {Stream}: Twine unavailable (status {StatusCode}, req_id {RequestId}) at page {Page}; the next run continues")]
    private partial void LogTwineUnavailable(string stream, int? statusCode, string? requestId, int page);

    [LoggerMessage(Level = LogLevel.Error, Message = "Poll {Stream}: Twine refused the query (status {StatusCode}, code {ErrorCode}, req_id {RequestId})")]
    private partial void LogRefused(string stream, int? statusCode, string? errorCode, string? requestId);
}
