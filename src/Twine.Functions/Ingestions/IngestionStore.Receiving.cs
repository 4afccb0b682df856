using Azure;
using Azure.Data.Tables;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>The HTTP edge's writes: receiving (while it queues), accepted, failed to queue, taken over by a retry.</summary>
public sealed partial class IngestionStore
{
    /// <summary>
    /// Inserts a new ingestion in the internal <c>receiving</c> state together with the kept copies of its messages, in one
    /// entity-group transaction (as many copies as fit one; <see cref="ReceivingRecord.CopiesLeft"/> are the rest). The
    /// insert fails whole when the row exists, so for an id derived from a webhook-id it is also the claim of that
    /// webhook-id. Returns the row's ETag and content (so that accepting it needs no read), or null when the id is taken.
    /// The history index is written once the ingestion is accepted (<see cref="MarkAcceptedAsync"/>), not here.
    /// </summary>
    public async Task<ReceivingRecord?> TryCreateReceivingAsync(string ingestionId, NewIngestion ingestion, string requestHash,
        DateTimeOffset receivingUntil, CancellationToken cancellationToken, IReadOnlyList<TableEntity>? keptCopies = null)
    {
        var now = timeProvider.GetUtcNow();
        var (entriesJson, entriesTruncated) = JsonPropertyLimit.Serialize(ingestion.Entries ?? [], IngestionJsonContext.Default.ListEntryReport);
        var entity = new IngestionEntity
        {
            EntriesJson = entriesJson,
            EntriesTruncated = entriesTruncated,
            PartitionKey = ingestionId,
            Kind = ingestion.Kind.ToWire(),
            Status = IngestionStatus.Receiving.ToWire(),
            MetricsTotal = ingestion.MetricsTotal,
            MessagesTotal = ingestion.MessagesTotal,
            ExternalId = ingestion.ExternalId,
            Operation = ingestion.Operation,
            RequestHash = requestHash,
            ReceivingUntil = receivingUntil,
            Partner = ingestion.Source?.Partner,
            WebhookId = ingestion.Source?.WebhookId,
            IdempotencyKeyHash = ingestion.Source?.IdempotencyKeyHash,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var (withRow, left) = SplitForInsert(keptCopies ?? []);
        var actions = new List<TableTransactionAction>(withRow.Count + 1) { new(TableTransactionActionType.Add, entity) };
        actions.AddRange(withRow.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, c)));
        try
        {
            var response = await tables.Ingestions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            entity.ETag = response.Value[0].Headers.ETag ?? default;
            return new ReceivingRecord(entity, left);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex is null or 0)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes a row this request inserted and its kept copies (one transaction: they share the partition), when the
    /// request turned out to repeat another (its Idempotency-Key named an earlier ingestion) or failed in part. Only the
    /// row as inserted: if anything changed it, it is left.
    /// </summary>
    public async Task DiscardReceivingAsync(ReceivingRecord inserted, CancellationToken cancellationToken)
    {
        var id = inserted.Entity.PartitionKey;
        var left = inserted.CopiesLeft.Select(c => c.RowKey).ToHashSet(StringComparer.Ordinal);
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Delete, new TableEntity(id, TableKeys.IngestionRow), inserted.Entity.ETag == default ? ETag.All : inserted.Entity.ETag),
        };
        actions.AddRange(KeptCopyKeys(inserted, left).Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(id, k), ETag.All)));
        try
        {
            await tables.Ingestions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
        {
            // Gone already, or changed by someone who knows the id: not ours to remove.
        }
    }

    /// <summary>
    /// Turns a row this request inserted into an alias of <paramref name="targetId"/> (its request repeated that
    /// ingestion under a new webhook-id) and removes its kept copies, in one transaction: a later repeat of this
    /// webhook-id then answers as the target does. Only the row as inserted.
    /// </summary>
    public async Task MakeAliasAsync(ReceivingRecord inserted, string targetId, CancellationToken cancellationToken)
    {
        var copies = KeptCopyKeys(inserted, inserted.CopiesLeft.Select(c => c.RowKey).ToHashSet(StringComparer.Ordinal)).ToList();
        var alias = inserted.Entity;
        alias.AliasOf = targetId;
        alias.ReceivingUntil = null;
        alias.MessagesTotal = 0;
        alias.MetricsTotal = 0;
        alias.EntriesJson = null;
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, alias, alias.ETag == default ? ETag.All : alias.ETag) };
        actions.AddRange(copies.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(alias.PartitionKey, k), ETag.All)));
        await tables.Ingestions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
    }

    private static IEnumerable<string> KeptCopyKeys(ReceivingRecord inserted, HashSet<string> notWritten) =>
        Enumerable.Range(0, inserted.Entity.MessagesTotal).Select(TableKeys.KeptMessageRow).Where(k => !notWritten.Contains(k)).Take(99);

    /// <summary>
    /// The copies that fit the insert's transaction with the row: at most 99 entities and well under its 4 MiB (a copy's
    /// body travels base64, a third larger). Nearly every request fits; a very large one writes the rest before queueing.
    /// </summary>
    private static (IReadOnlyList<TableEntity> WithRow, IReadOnlyList<TableEntity> Left) SplitForInsert(IReadOnlyList<TableEntity> copies)
    {
        const int maxEntities = 99;
        const long maxBodyBytes = 2_500_000;
        long bytes = 0;
        var count = 0;
        foreach (var copy in copies)
        {
            var size = (copy.GetBinary(nameof(KeptMessageEntity.Body))?.Length ?? 0) + 256L;
            if (count == maxEntities || bytes + size > maxBodyBytes)
            {
                break;
            }

            bytes += size;
            count++;
        }

        return ([.. copies.Take(count)], [.. copies.Skip(count)]);
    }

    /// <summary>
    /// Receiving → accepted, once every message is queued; then the ingestion's first row in the history index. With the
    /// insert's ETag this is one conditional merge and one insert; if the row changed meanwhile (a fast queue trigger
    /// recorded an outcome), it is read and recomputed instead, and a processor's note that it found the row still
    /// receiving is cleared (every message was queued: a retry need not queue them again).
    /// </summary>
    public async Task MarkAcceptedAsync(string ingestionId, ReceivingRecord? inserted, CancellationToken cancellationToken)
    {
        if (inserted is { Entity.ETag: var etag } && etag != default)
        {
            var now = timeProvider.GetUtcNow();
            var change = new TableEntity(ingestionId, TableKeys.IngestionRow)
            {
                [nameof(IngestionEntity.Status)] = IngestionStatus.Accepted.ToWire(),
                [nameof(IngestionEntity.UpdatedAt)] = now,
                [nameof(IngestionEntity.Revision)] = 1L, // the insert was revision 0 and the ETag says nothing changed since
            };
            try
            {
                await tables.Ingestions.UpdateEntityAsync(change, etag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                var entity = inserted.Entity;
                entity.Status = IngestionStatus.Accepted.ToWire();
                entity.UpdatedAt = now;
                entity.Revision = 1;
                await index.AddFirstAsync(entity, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed since the insert: fall through to read, change and recompute.
            }
        }

        await UpdateIngestionAsync(ingestionId, async (entity, ct) =>
        {
            if (entity is null)
            {
                throw Missing(ingestionId);
            }

            if (entity.Status != IngestionStatus.Receiving.ToWire())
            {
                if (entity.RecoveredFromReceiving && !entity.FailedWhileReceiving)
                {
                    entity.RecoveredFromReceiving = false; // processing moved it on first; every message was queued after all
                    entity.UpdatedAt = timeProvider.GetUtcNow();
                    return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
                }

                return OptimisticChange<IngestionEntity, bool>.Decline(false); // already accepted, or failed/taken over by another attempt
            }

            entity.Status = IngestionStatus.Accepted.ToWire();
            entity.ReceivingUntil = null;
            if (entity.MessagesDone > 0 || entity.RetryingJson is not null)
            {
                // Outcomes (or reschedules) arrived while the edge was still queueing: the status follows from them.
                IngestionAggregate.Apply(entity, await GetResultsAsync(ingestionId, ct).ConfigureAwait(false));
            }

            entity.UpdatedAt = timeProvider.GetUtcNow();
            return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The edge could not queue every message: the ingestion is failed and a retry with the same key may take it over.</summary>
    public Task MarkReceivingFailedAsync(string ingestionId, string reason, CancellationToken cancellationToken) =>
        UpdateIngestionAsync(ingestionId, entity =>
        {
            if (entity is null)
            {
                throw Missing(ingestionId);
            }

            if (entity.Status != IngestionStatus.Receiving.ToWire() && !(entity.RecoveredFromReceiving && entity.FailureReason is null))
            {
                return OptimisticChange<IngestionEntity, bool>.Decline(false);
            }

            entity.Status = IngestionStatus.Failed.ToWire();
            entity.FailureReason = reason;
            entity.FailedWhileReceiving = true;
            entity.ReceivingUntil = null;
            entity.UpdatedAt = timeProvider.GetUtcNow();
            return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
        }, cancellationToken);

    /// <summary>
    /// A retried request (same Idempotency-Key, same body) takes over an ingestion whose first attempt failed to
    /// queue or stopped before finishing (its receiving lease ran out). One attempt, conditional on the ETag: of
    /// concurrent retries one wins, and a retry that meets any concurrent write answers "in progress".
    /// </summary>
    public async Task<bool> TryTakeOverAsync(string ingestionId, DateTimeOffset receivingUntil, CancellationToken cancellationToken)
    {
        try
        {
            return await UpdateIngestionAsync(ingestionId, entity =>
            {
                if (entity is null || !CanBeTakenOver(ToRecord(entity), timeProvider.GetUtcNow()))
                {
                    return OptimisticChange<IngestionEntity, bool>.Decline(false);
                }

                entity.Status = IngestionStatus.Receiving.ToWire();
                entity.FailureReason = null;
                entity.FailedWhileReceiving = false;
                entity.RecoveredFromReceiving = false;
                entity.ReceivingUntil = receivingUntil;
                entity.UpdatedAt = timeProvider.GetUtcNow();
                return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
            }, cancellationToken, maxAttempts: 1).ConfigureAwait(false);
        }
        catch (OptimisticUpdateException)
        {
            return false;
        }
    }
}

/// <summary>A row the edge inserted (with its ETag) and the kept copies its insert could not carry.</summary>
public sealed record ReceivingRecord(IngestionEntity Entity, IReadOnlyList<TableEntity> CopiesLeft);
