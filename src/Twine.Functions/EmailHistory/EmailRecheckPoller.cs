using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// Late statuses: GET /email_history has no updated_at filter, so emails that are not final yet are read again one by one
/// (GET /email_history/{id}) at 1 h, 6 h, 1 day, 3 days and 7 days after sending (<see cref="EmailRecheckSchedule"/>),
/// from the EmailRecheck table (<see cref="EmailRecheckQueue"/>) that the sender streams fill. Each check merges the
/// email into EmailHistory and moves its row to the next check, or deletes it when the email is final or the 7-day
/// check is done. One stream, registered after the senders', listed only when something is due; the budget is checked
/// before each GET (at least one per run), and the table itself is the resume position.
/// </summary>
public sealed partial class EmailRecheckPoller(
    ITwineClient twine,
    PollingTables tables,
    EmailRecheckQueue queue,
    EmailAddressHasher hasher,
    IOptions<PollingOptions> options,
    TimeProvider timeProvider,
    ILogger<EmailRecheckPoller> logger) : ITwineUpdatesSource
{
    public const string StreamName = "email_history.recheck";

    private readonly PollingOptions _options = options.Value;

    /// <summary>The one stream while a check is due (one query for one row), none otherwise.</summary>
    public async Task<IReadOnlyList<string>> GetStreamsAsync(CancellationToken cancellationToken) =>
        (await queue.DueAsync(timeProvider.GetUtcNow(), 1, cancellationToken).ConfigureAwait(false)).Count > 0 ? [StreamName] : [];

    Task<StreamResult> ITwineUpdatesSource.PollAsync(string stream, PollBudget budget, CancellationToken cancellationToken) =>
        RecheckAsync(budget, cancellationToken);

    public async Task<StreamResult> RecheckAsync(PollBudget budget, CancellationToken cancellationToken)
    {
        EmailHashKey key;
        try
        {
            key = await hasher.GetKeyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SecretUnavailableException ex)
        {
            LogKeyUnavailable(StreamName, ex.SecretName, ex.Status ?? 0, ex.ErrorCode);
            return new StreamResult(StreamName, StreamOutcome.NotConfigured, 0, 0, 0);
        }

        var counts = new Counts();
        while (true)
        {
            var due = await queue.DueAsync(timeProvider.GetUtcNow(), _options.PageSize, cancellationToken).ConfigureAwait(false);
            counts.Requests++;
            if (due.Count == 0)
            {
                LogDone(StreamName, counts.Gets, counts.Stored, counts.Rescheduled, counts.Finished, counts.Dropped);
                return counts.Result(StreamOutcome.CaughtUp);
            }

            foreach (var row in due)
            {
                if (counts.Gets > 0 && budget.IsSpent)
                {
                    LogStopped(StreamName, "time budget spent", counts.Gets, counts.Stored);
                    return counts.Result(StreamOutcome.BudgetSpent);
                }

                EmailHistoryResource? email;
                try
                {
                    counts.Gets++;
                    email = (await twine.FetchEmailHistoryAsync(row.RowKey, cancellationToken).ConfigureAwait(false)).Data;
                }
                catch (TwineApiException e) when (e.IsTransient)
                {
                    // The row stays due: the next run reads it.
                    LogTwineUnavailable(StreamName, (int?)e.StatusCode, e.RequestId, counts.Gets, counts.Stored);
                    return counts.Result(StreamOutcome.TwineUnavailable);
                }
                catch (TwineApiException e)
                {
                    // Gone (404) or no longer ours to read: it will not become readable by asking again.
                    LogEmailRefused(StreamName, (int?)e.StatusCode, e.ErrorCode, e.RequestId);
                    counts.Dropped++;
                    counts.Requests += await queue.MoveAsync(row, null, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await CheckedAsync(row, email, key, counts, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task CheckedAsync(TableEntity row, EmailHistoryResource? email, EmailHashKey key, Counts counts, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (email is null || EmailHistoryRow.From(email, key, now) is not { } stored)
        {
            counts.Dropped++;
            counts.Requests += await queue.MoveAsync(row, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Merge, like the sender streams: status times only get added, so an overlapping run cannot remove one.
        await tables.EmailHistory.UpsertEntityAsync(stored, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        counts.Stored++;
        counts.Requests++;

        var next = EmailRecheckQueue.Row(email, now, row.GetDateTimeOffset(EmailRecheckQueue.SendTimeColumn));
        if (next is null)
        {
            counts.Finished++;
        }
        else
        {
            counts.Rescheduled++;
        }

        counts.Requests += await queue.MoveAsync(row, next, cancellationToken).ConfigureAwait(false);
    }

    private sealed class Counts
    {
        public int Gets;
        public int Stored;
        public int Requests;
        public int Rescheduled;
        public int Finished;
        public int Dropped;

        public StreamResult Result(StreamOutcome outcome) => new(StreamName, outcome, Gets, Stored, Requests);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Poll {Stream}: not polled, the email hash key secret {SecretName} is unavailable (status {Status}, {ErrorCode}); email addresses are never stored unhashed")]
    private partial void LogKeyUnavailable(string stream, string secretName, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Poll {Stream}: nothing more due after {Gets} emails read again, {Stored} rows upserted, {Rescheduled} rescheduled, {Finished} final or past their last check, {Dropped} dropped")]
    private partial void LogDone(string stream, int gets, int stored, int rescheduled, int finished, int dropped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Poll {Stream}: stopped ({Reason}) after {Gets} emails read again, {Stored} rows upserted; the next run continues")]
    private partial void LogStopped(string stream, string reason, int gets, int stored);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {Stream}: Twine unavailable (status {StatusCode}, req_id {RequestId}) after {Gets} emails read again, {Stored} rows upserted; the next run continues")]
    private partial void LogTwineUnavailable(string stream, int? statusCode, string? requestId, int gets, int stored);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {Stream}: Twine refused an email's re-check (status {StatusCode}, code {ErrorCode}, req_id {RequestId}); it is not checked again")]
    private partial void LogEmailRefused(string stream, int? statusCode, string? errorCode, string? requestId);
}
