using Azure;
using Microsoft.Extensions.Logging;
using Twine.Functions.Ingestions.Queues;

namespace Twine.Functions.Ingestions.Replay;

/// <summary>What a replay of one ingestion did, or would do (a dry run).</summary>
public enum ReplayDecision
{
    /// <summary>Its undelivered messages were queued again (or would be, in a dry run).</summary>
    Queued,

    /// <summary>No accepted ingestion has this id.</summary>
    NotFound,

    /// <summary>Messages are still under way (accepted, processing, retrying) or another replay is re-queueing: 409.</summary>
    InFlight,

    /// <summary>Every message reached Twine (succeeded): 422.</summary>
    NothingToReplay,

    /// <summary>Messages failed but none was kept (a message a partner enqueued directly): 422.</summary>
    NotKept,
}

/// <summary>
/// The outcome of one replay: the decision, the message indexes queued (counted from 0), those that failed but were
/// not kept, and the ingestion's status after it.
/// </summary>
public sealed record ReplayResult(string IngestionId, ReplayDecision Decision, IReadOnlyList<int> Messages, IReadOnlyList<int> NotKept, string? Status);

/// <summary>
/// Re-queues what of an ingestion did not reach Twine: every message whose outcome is a failure (Twine refused it, it was
/// poisoned, its retries ran out) or that has no outcome although the ingestion is settled (failed as a whole), and
/// nothing that succeeded. The messages are the ones the edge queued, kept in IngestionMessages, sent verbatim (no retry
/// members: a fresh retry budget): metrics go with ignore_duplicates as always, calendar events through the link claim and
/// write order, so a replay never creates a duplicate, and a replayed calendar write older than one applied since is
/// superseded. Steps: claim the ingestion (<see cref="IngestionStore.TryBeginReplayAsync"/>, a one-minute lease), delete
/// the failed outcome rows, queue the kept messages, release the claim and recompute. A replay that stops midway leaves
/// the lease: after it, the next replay finds the messages without outcomes and sends them.
/// </summary>
public sealed partial class IngestionReplayer(IngestionStore store, IngestionQueues queues, TimeProvider time, ILogger<IngestionReplayer> logger)
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    public async Task<ReplayResult> ReplayAsync(string ingestionId, bool dryRun, CancellationToken cancellationToken)
    {
        var record = await store.GetAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        if (record is null || record.Status == IngestionStatus.Receiving)
        {
            return new ReplayResult(ingestionId, ReplayDecision.NotFound, [], [], null);
        }

        var now = time.GetUtcNow();
        if (!IngestionStore.IsSettled(record) || record.ReplayPendingUntil > now)
        {
            return new ReplayResult(ingestionId, ReplayDecision.InFlight, [], [], record.Status.ToWire());
        }

        var results = (await store.GetResultsAsync(ingestionId, cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.MessageIndex);
        var undelivered = Enumerable.Range(0, Math.Max(record.MessagesTotal, 1))
            .Where(i => !results.TryGetValue(i, out var r) || r.ReasonIfFailed is not null || r.Failed > 0)
            .ToList();
        if (undelivered.Count == 0)
        {
            return new ReplayResult(ingestionId, ReplayDecision.NothingToReplay, [], [], record.Status.ToWire());
        }

        var kept = await store.GetKeptMessagesAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        var sending = undelivered.Where(kept.ContainsKey).ToList();
        var missing = undelivered.Where(i => !kept.ContainsKey(i)).ToList();
        if (sending.Count == 0)
        {
            return new ReplayResult(ingestionId, ReplayDecision.NotKept, [], missing, record.Status.ToWire());
        }

        if (dryRun)
        {
            return new ReplayResult(ingestionId, ReplayDecision.Queued, sending, missing, record.Status.ToWire());
        }

        if (!await store.TryBeginReplayAsync(ingestionId, sending, now + Lease, cancellationToken).ConfigureAwait(false))
        {
            return new ReplayResult(ingestionId, ReplayDecision.InFlight, [], [], record.Status.ToWire());
        }

        // Only messages that have an outcome have a row to delete (one failed as a whole may have none).
        await store.DeleteResultsAsync([.. sending.Where(results.ContainsKey).Select(i => results[i])], cancellationToken).ConfigureAwait(false);
        var queue = record.Kind == IngestionKind.CalendarEvent ? queues.CalendarEvents : queues.Metrics;
        await Task.WhenAll(sending.Select(i => queue.SendMessageAsync(BinaryData.FromBytes(kept[i].Body), cancellationToken: cancellationToken)))
            .ConfigureAwait(false);
        await store.FinishReplayAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        LogReplayed(ingestionId, sending.Count, missing.Count);
        var after = await store.GetAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        return new ReplayResult(ingestionId, ReplayDecision.Queued, sending, missing, after?.Status.ToWire());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId} replayed: {MessageCount} messages queued again, {NotKeptCount} failed but not kept")]
    private partial void LogReplayed(string ingestionId, int messageCount, int notKeptCount);
}
