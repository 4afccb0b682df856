using Azure.Data.Tables;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>
/// The Ingestions and IngestionResults tables. Every read is a point read (PK + RK) or one partition query
/// (an ingestion's results); every change to an ingestion row is a conditional write (insert, or replace with
/// the ETag read, through <see cref="OptimisticUpdate"/>), so several instances can record outcomes of the same
/// ingestion at once. The edge's writes are in IngestionStore.Receiving.cs, processing's in
/// IngestionStore.Outcomes.cs and IngestionStore.Retrying.cs; the recompute is <see cref="IngestionAggregate"/>.
/// </summary>
public sealed partial class IngestionStore(StorageTables tables, IngestionIndex index, TimeProvider timeProvider)
{
    public async Task<IngestionRecord?> GetAsync(string ingestionId, CancellationToken cancellationToken)
    {
        var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ToRecord(entity);
    }

    /// <remarks>
    /// An ingestion that processing moved on from an abandoned <c>receiving</c> (<see cref="IngestionRecord.RecoveredFromReceiving"/>)
    /// may still miss messages the edge never queued: until every message is done, a retry may take it over and queue
    /// them all again (the ones already done are recognised by their outcome rows and not sent to Twine again).
    /// </remarks>
    public static bool CanBeTakenOver(IngestionRecord record, DateTimeOffset now) =>
        (record.Status == IngestionStatus.Receiving && record.ReceivingUntil is { } until && until <= now)
        || (record.Status == IngestionStatus.Failed && record.FailedWhileReceiving)
        || (record.RecoveredFromReceiving && record.Status is IngestionStatus.Processing or IngestionStatus.Retrying
            && record.MessagesDone < record.MessagesTotal);

    /// <summary>
    /// Receiving past its lease: the edge queued this message and stopped before accepting (a crash between enqueue and
    /// the merge). Moves it to processing; a retry by the partner may still take it over (<see cref="CanBeTakenOver"/>).
    /// </summary>
    private static bool MoveOnIfAbandoned(IngestionEntity entity, DateTimeOffset now)
    {
        if (entity.Status != IngestionStatus.Receiving.ToWire() || entity.ReceivingUntil is not { } until || until > now)
        {
            return false;
        }

        entity.Status = IngestionStatus.Processing.ToWire();
        entity.ReceivingUntil = null;
        entity.RecoveredFromReceiving = true;
        return true;
    }

    /// <summary>One message's recorded outcome (a point read), or null when none is recorded yet.</summary>
    public async Task<IngestionResultEntity?> GetResultAsync(string ingestionId, int messageIndex, CancellationToken cancellationToken)
    {
        var response = await tables.IngestionResults.GetEntityIfExistsAsync<IngestionResultEntity>(ingestionId, TableKeys.MessageRow(messageIndex), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>The outcomes recorded for an ingestion, in message order: one partition query.</summary>
    public async Task<IReadOnlyList<IngestionResultEntity>> GetResultsAsync(string ingestionId, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ingestionId}");
        var results = new List<IngestionResultEntity>();
        await foreach (var row in tables.IngestionResults.QueryAsync<IngestionResultEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            results.Add(row);
        }

        return results;
    }

    /// <summary>Read, change (or decline), write with the ETag read; again on a concurrent write, within a bound.</summary>
    /// <remarks>
    /// Every write raises the row's <see cref="IngestionEntity.Revision"/> and is then copied to the history index
    /// (<see cref="IngestionIndex.SyncAsync"/>, which keeps the highest revision).
    /// </remarks>
    private async Task<TResult> UpdateIngestionAsync<TResult>(string ingestionId,
        Func<IngestionEntity?, CancellationToken, ValueTask<OptimisticChange<IngestionEntity, TResult>>> change,
        CancellationToken cancellationToken, int maxAttempts = OptimisticUpdate.DefaultMaxAttempts)
    {
        IngestionEntity? written = null;
        var result = await OptimisticUpdate.RunAsync<IngestionEntity, TResult>(tables.Ingestions, ingestionId, TableKeys.IngestionRow, async (row, ct) =>
        {
            var revision = row?.Revision ?? -1;
            var decision = await change(row, ct).ConfigureAwait(false);
            written = decision.Write;
            if (written is not null)
            {
                written.Revision = revision + 1;
            }

            return decision;
        }, cancellationToken, maxAttempts: maxAttempts).ConfigureAwait(false);
        if (written is not null)
        {
            await index.SyncAsync(written, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private Task<TResult> UpdateIngestionAsync<TResult>(string ingestionId,
        Func<IngestionEntity?, OptimisticChange<IngestionEntity, TResult>> change, CancellationToken cancellationToken,
        int maxAttempts = OptimisticUpdate.DefaultMaxAttempts) =>
        UpdateIngestionAsync<TResult>(ingestionId, (row, _) => ValueTask.FromResult(change(row)), cancellationToken, maxAttempts);

    private static InvalidOperationException Missing(string ingestionId) => new($"Ingestion {ingestionId} does not exist.");

    private async Task<IngestionEntity?> ReadAsync(string ingestionId, CancellationToken cancellationToken)
    {
        var response = await tables.Ingestions.GetEntityIfExistsAsync<IngestionEntity>(ingestionId, TableKeys.IngestionRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    private static IngestionRecord ToRecord(IngestionEntity e) => new()
    {
        Id = e.PartitionKey,
        Kind = IngestionNames.ParseKind(e.Kind),
        Status = IngestionNames.ParseStatus(e.Status),
        MetricsTotal = e.MetricsTotal,
        MessagesTotal = e.MessagesTotal,
        MessagesDone = e.MessagesDone,
        Created = e.Created,
        IgnoredDuplicates = e.IgnoredDuplicates,
        Superseded = e.Superseded,
        Failed = e.Failed,
        TwineIds = JsonPropertyLimit.Deserialize(e.TwineIdsJson, IngestionJsonContext.Default.ListString),
        TwineIdsTruncated = e.TwineIdsTruncated,
        Errors = JsonPropertyLimit.Deserialize(e.ErrorsJson, IngestionJsonContext.Default.ListIngestionError),
        ErrorsTruncated = e.ErrorsTruncated,
        FailureReason = e.FailureReason,
        FailedWhileReceiving = e.FailedWhileReceiving,
        ExternalId = e.ExternalId,
        Operation = e.Operation,
        RequestHash = e.RequestHash,
        ReceivingUntil = e.ReceivingUntil,
        RecoveredFromReceiving = e.RecoveredFromReceiving,
        Retry = e.NextAttemptAt is { } next && e.RetryAttempt is { } attempt
            ? new RetryInfo(attempt, e.RetryLastError ?? "", e.RetryLastReqId, next,
                JsonPropertyLimit.Deserialize(e.RetryingJson, IngestionJsonContext.Default.ListInt32).Count)
            : null,
        Partner = e.Partner,
        WebhookId = e.WebhookId,
        Replay = e.ReplayCount > 0 && e.LastReplayAt is { } replayedAt
            ? new ReplayInfo(e.ReplayCount, replayedAt, JsonPropertyLimit.Deserialize(e.LastReplayMessagesJson, IngestionJsonContext.Default.ListInt32))
            : null,
        ReplayPendingUntil = e.ReplayPendingUntil,
        CreatedAt = e.CreatedAt,
        UpdatedAt = e.UpdatedAt,
    };
}
/// <summary>What the edge knows about an ingestion before it is stored.</summary>
public sealed record NewIngestion(IngestionKind Kind, int MetricsTotal, int MessagesTotal, string? ExternalId = null, string? Operation = null)
{
    /// <summary>Who sent it: set by the acceptor from the signed request's keys.</summary>
    public IngestionSource? Source { get; init; }
}

/// <summary>
/// The signed request an ingestion came from: the partner (lower case), its webhook-id, and the IngestionKeys partitions
/// (SHA-256 of the scoped keys) it claimed, so that retention can delete them with the ingestion.
/// </summary>
public sealed record IngestionSource(string Partner, string WebhookId, string WebhookIdKeyHash, string? IdempotencyKeyHash)
{
    public static IngestionSource From(Partners.RequestKeys keys) =>
        new(keys.Partner.ToLowerInvariant(), keys.WebhookId, TableKeys.IdempotencyKeyPartition(keys.WebhookIdKey),
            keys.IdempotencyKeyKey is { } key ? TableKeys.IdempotencyKeyPartition(key) : null);
}
