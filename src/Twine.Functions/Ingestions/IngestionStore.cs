using Azure.Data.Tables;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>
/// The Ingestions table: per ingestion one partition, holding the ingestion row and one row per message outcome. Every
/// read is a point read (PK + RK) or one partition query (an ingestion's outcomes); every change to an ingestion row is
/// a conditional write (insert, or replace with the ETag read), so several instances can record outcomes of the same
/// ingestion at once; an outcome and the aggregate it changes are written together in one entity-group transaction.
/// The edge's writes are in IngestionStore.Receiving.cs, processing's in
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
    /// Still receiving when one of its messages is processed: the edge queued it and either has not marked the ingestion
    /// accepted yet (it does so after its 202) or stopped before it could. Moves it to processing, noting that the edge did
    /// not confirm (<see cref="IngestionEntity.RecoveredFromReceiving"/>): the edge's mark clears the note, and until then a
    /// retry by the partner may take it over and queue every message again (<see cref="CanBeTakenOver"/>; messages already
    /// done are recognised by their outcome rows).
    /// </summary>
    private static bool MoveOnIfAbandoned(IngestionEntity entity)
    {
        if (entity.Status != IngestionStatus.Receiving.ToWire())
        {
            return false;
        }

        entity.Status = IngestionStatus.Processing.ToWire();
        entity.ReceivingUntil = null;
        entity.RecoveredFromReceiving = true;
        return true;
    }

    /// <summary>The outcomes recorded for an ingestion, in message order: one query of its partition's outcome rows.</summary>
    public async Task<IReadOnlyList<IngestionResultEntity>> GetResultsAsync(string ingestionId, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ingestionId} and RowKey lt {TableKeys.MessageRowsEnd}");
        var results = new List<IngestionResultEntity>();
        await foreach (var row in tables.Ingestions.QueryAsync<IngestionResultEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            results.Add(row);
        }

        return results;
    }

    /// <summary>
    /// What processing needs before it calls Twine: the ingestion row and its outcomes (whether this message was recorded
    /// already, and what recording its outcome will change), in one query of the ingestion's partition. A query of one
    /// partition returns a consistent state on Azurite and, page by page, on Table Storage; should an outcome land between
    /// the outcome rows and the ingestion row (they sort first), the row counts more outcomes than were read, and the two
    /// are read again one after the other, the row first: an outcome recorded between those reads is among the outcomes
    /// and missing from the row, so the write conditional on the row's ETag fails and is recomputed, never dropped.
    /// </summary>
    /// <param name="keptMessageIndex">The message being processed: its kept copy is read in the same query (to recognise a stray message).</param>
    public async Task<IngestionSnapshot> ReadSnapshotAsync(string ingestionId, CancellationToken cancellationToken, int? keptMessageIndex = null)
    {
        // Row and outcomes sort at or before "ingestion" in either layout; the kept copy's key depends on it, so both are asked for.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ingestionId} and RowKey le {TableKeys.LegacyIngestionRow}");
        if (keptMessageIndex is { } index)
        {
            filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {ingestionId} and (RowKey le {TableKeys.LegacyIngestionRow} or RowKey eq {IngestionPartitionKeys.For(ingestionId).Kept(index)} or RowKey eq {new IngestionPartitionKeys(ingestionId, Legacy: true).Kept(index)})");
        }

        IngestionEntity? row = null;
        KeptMessageEntity? kept = null;
        var results = new List<IngestionResultEntity>();
        await foreach (var entity in tables.Ingestions.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (TableKeys.IsIngestionRow(entity.RowKey))
            {
                row = TableEntityMapping.To<IngestionEntity>(entity);
            }
            else if (entity.RowKey.StartsWith(TableKeys.KeptMessageRowPrefix, StringComparison.Ordinal))
            {
                kept = TableEntityMapping.To<KeptMessageEntity>(entity);
            }
            else if (string.CompareOrdinal(entity.RowKey, TableKeys.MessageRowsEnd) < 0)
            {
                results.Add(TableEntityMapping.To<IngestionResultEntity>(entity));
            }
        }

        if (row is not null && row.MessagesDone > results.Count)
        {
            row = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
            return new IngestionSnapshot(row, await GetResultsAsync(ingestionId, cancellationToken).ConfigureAwait(false)) { Kept = kept };
        }

        return new IngestionSnapshot(row, results) { Kept = kept };
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
        var result = await OptimisticUpdate.RunAsync<IngestionEntity, TResult>(tables.Ingestions, ingestionId, IngestionPartitionKeys.For(ingestionId).Row, async (row, ct) =>
        {
            var revision = row?.Revision ?? -1;
            var decision = await change(row, ct).ConfigureAwait(false);
            written = decision.Write;
            if (written is not null)
            {
                written.Revision = revision + 1;
            }

            return decision;
        }, cancellationToken, maxAttempts: maxAttempts, read: ct => ReadAsync(ingestionId, ct)).ConfigureAwait(false);
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

    /// <summary>The ingestion row: a point read of its key, then of the previous layout's (<see cref="IngestionPartitionKeys"/>).</summary>
    private Task<IngestionEntity?> ReadAsync(string ingestionId, CancellationToken cancellationToken) =>
        ReadRowAsync(tables.Ingestions, ingestionId, null, cancellationToken);

    /// <inheritdoc cref="ReadAsync"/>
    /// <param name="select">The columns to read (null: all).</param>
    public static async Task<IngestionEntity?> ReadRowAsync(TableClient ingestions, string ingestionId, IEnumerable<string>? select, CancellationToken cancellationToken)
    {
        var response = await ingestions.GetEntityIfExistsAsync<IngestionEntity>(ingestionId, IngestionPartitionKeys.For(ingestionId).Row, select, cancellationToken).ConfigureAwait(false);
        if (response.HasValue)
        {
            return response.Value;
        }

        var legacy = await ingestions.GetEntityIfExistsAsync<IngestionEntity>(ingestionId, TableKeys.LegacyIngestionRow, select, cancellationToken).ConfigureAwait(false);
        return legacy.HasValue ? legacy.Value : null;
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
        Entries = JsonPropertyLimit.Deserialize(e.EntriesJson, IngestionJsonContext.Default.ListEntryReport),
        EntriesTruncated = e.EntriesTruncated,
        Errors = JsonPropertyLimit.Deserialize(e.ErrorsJson, IngestionJsonContext.Default.ListIngestionError),
        ErrorsTruncated = e.ErrorsTruncated,
        FailureReason = e.FailureReason,
        FailedWhileReceiving = e.FailedWhileReceiving,
        ExternalId = e.ExternalId,
        Operation = e.Operation,
        RequestHash = e.RequestHash,
        ReceivingUntil = e.ReceivingUntil,
        RecoveredFromReceiving = e.RecoveredFromReceiving,
        AliasOf = e.AliasOf,
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
/// <param name="Entries">For a request made of a partner's own entries (a FHIR Bundle): what the edge did with each.</param>
public sealed record NewIngestion(IngestionKind Kind, int MetricsTotal, int MessagesTotal, string? ExternalId = null, string? Operation = null,
    IReadOnlyList<EntryReport>? Entries = null)
{
    /// <summary>Who sent it: set by the acceptor from the signed request's keys.</summary>
    public IngestionSource? Source { get; init; }
}

/// <summary>
/// The signed request an ingestion came from: the partner (lower case), its webhook-id, and the IngestionKeys partition
/// (SHA-256 of the scoped Idempotency-Key) it claimed, so that retention can delete it with the ingestion. The webhook-id
/// needs no key row: the ingestion's id is derived from it (<see cref="IngestionId.ForWebhookId"/>).
/// </summary>
public sealed record IngestionSource(string Partner, string WebhookId, string? IdempotencyKeyHash)
{
    public static IngestionSource From(Partners.RequestKeys keys) =>
        new(keys.Partner.ToLowerInvariant(), keys.WebhookId, keys.IdempotencyKeyKey is { } key ? TableKeys.IdempotencyKeyPartition(key) : null);
}

/// <summary>
/// One entry of a partner's request as the edge read it: <c>delivered</c> (queued for Twine; its metric's outcome is in
/// the counts), <c>skipped</c> (not for Twine, with the reason) or <c>refused</c> (could not be read, with the reason).
/// </summary>
/// <param name="Entry">The entry's position in the partner's request (0-based), null for a single resource.</param>
/// <param name="Expression">Where it is in the partner's request (FHIRPath, e.g. <c>Bundle.entry[3].resource</c>).</param>
public sealed record EntryReport(int? Entry, string Outcome, string Expression, string? Reason = null);

/// <summary>An ingestion's row (null when a partner enqueued its message directly) and its outcomes, as read together.</summary>
public sealed record IngestionSnapshot(IngestionEntity? Ingestion, IReadOnlyList<IngestionResultEntity> Results)
{
    public IngestionResultEntity? Result(int messageIndex) => Results.FirstOrDefault(r => r.MessageIndex == messageIndex);

    /// <summary>The kept copy of the message being processed, when it was read with the snapshot.</summary>
    public KeptMessageEntity? Kept { get; init; }

    /// <summary>
    /// Why a message is not one this ingestion recorded, or null when it is (or nothing says otherwise: no row, a message
    /// a partner enqueued directly; no copy, an ingestion from before copies moved into its partition). The edge sends its
    /// messages invisible beside the row's insert and deletes them when the insert finds the webhook-id taken; if it
    /// stopped before, they reappear after <see cref="Queues.IngestionQueues.HiddenUntilConfirmed"/>. Such a message carries
    /// the ingestion's id but may carry another body (a repeat refused with 422): it differs from the kept copy in a member
    /// other than the retry members, or its row became an alias. It must not reach Twine.
    /// </summary>
    public string? StrayReason(System.Text.Json.JsonElement message)
    {
        if (Ingestion is { AliasOf: not null })
        {
            return "its ingestion's webhook-id repeated an earlier ingestion";
        }

        if (Kept is null)
        {
            return null;
        }

        using var copy = System.Text.Json.JsonDocument.Parse(Kept.Body);
        static bool Compared(string name) => name is not (Queues.QueueRetryFields.Attempt or Queues.QueueRetryFields.FirstFailedAt);
        var mine = message.EnumerateObject().Where(p => Compared(p.Name)).ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
        var recorded = copy.RootElement.EnumerateObject().Where(p => Compared(p.Name)).ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
        return mine.Count == recorded.Count && mine.All(m => recorded.TryGetValue(m.Key, out var r) && r == m.Value)
            ? null
            : "it differs from the message the edge recorded for this ingestion (a refused repeat of its webhook-id)";
    }
}
