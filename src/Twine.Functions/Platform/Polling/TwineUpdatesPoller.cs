using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Polling;

/// <summary>
/// One PollTwineUpdates run: every registered <see cref="ITwineUpdatesSource"/>'s streams in order (calendar events of the
/// organization, then the email history of each coach of the organization), within one time budget. Each stream keeps its own
/// checkpoint; a stream that stops early (budget, rate limit) is continued by the next run. When Twine is unavailable the
/// run stops there instead of asking again for the next stream. Storage failures propagate: the run fails, checkpoints
/// stay, the next run repeats the unconfirmed pages (upserts).
/// </summary>
public sealed partial class TwineUpdatesPoller(
    IEnumerable<ITwineUpdatesSource> sources,
    IOptions<PollingOptions> options,
    TimeProvider timeProvider,
    ILogger<TwineUpdatesPoller> logger)
{
    private readonly PollingOptions _options = options.Value;

    public async Task<PollResult> RunAsync(CancellationToken cancellationToken)
    {
        var budget = new PollBudget(timeProvider, _options.TimeBudget);
        var results = new List<StreamResult>();
        foreach (var source in sources)
        {
            foreach (var stream in await source.GetStreamsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (results.Count > 0 && (results[^1].Outcome == StreamOutcome.TwineUnavailable || budget.IsSpent))
                {
                    break; // the streams left are polled by the next run, from their checkpoints
                }

                results.Add(await source.PollAsync(stream, budget, cancellationToken).ConfigureAwait(false));
            }
        }

        var result = new PollResult(results);
        LogRun(results.Count, result.Pages, result.RowsWritten, result.StorageRequests, result.CaughtUp, budget.Elapsed.TotalMilliseconds);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "PollTwineUpdates: {Streams} streams, {Pages} Twine pages, {Rows} rows written in {Requests} storage requests, caught up: {CaughtUp}, {ElapsedMs} ms")]
    private partial void LogRun(int streams, int pages, int rows, int requests, bool caughtUp, double elapsedMs);
}
