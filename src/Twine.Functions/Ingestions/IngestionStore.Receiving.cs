using Azure;
using Azure.Data.Tables;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>The HTTP edge's writes: receiving (while it queues), accepted, failed to queue, taken over by a retry.</summary>
public sealed partial class IngestionStore
{
    /// <summary>
    /// Inserts a new ingestion in the internal <c>receiving</c> state: one conditional insert, so for an id derived from a
    /// webhook-id it is also the claim of that webhook-id. Returns the row's ETag and content (so that accepting it needs
    /// no read), or null when the id is taken. Its messages' kept copies and its history index row are written once the
    /// edge has answered (<see cref="IngestionAcceptor"/>, <see cref="MarkAcceptedAsync"/>), not here.
    /// </summary>
    public async Task<ReceivingRecord?> TryCreateReceivingAsync(string ingestionId, NewIngestion ingestion, string requestHash,
        DateTimeOffset receivingUntil, CancellationToken cancellationToken)
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
        try
        {
            var response = await tables.Ingestions.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            entity.ETag = response.Headers.ETag ?? default;
            return new ReceivingRecord(entity);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes a row this request inserted, when the request turned out to repeat another (its Idempotency-Key named an
    /// earlier ingestion with another body) or failed in part. Only the row as inserted: if anything changed it, it stays.
    /// </summary>
    public async Task DiscardReceivingAsync(ReceivingRecord inserted, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Ingestions.DeleteEntityAsync(inserted.Entity.PartitionKey, inserted.Entity.RowKey,
                inserted.Entity.ETag == default ? ETag.All : inserted.Entity.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone already, or changed by someone who knows the id: not ours to remove.
        }
    }

    /// <summary>
    /// Turns a row this request inserted into an alias of <paramref name="targetId"/> (its request repeated that
    /// ingestion under a new webhook-id): a later repeat of this webhook-id then answers as the target does, and a
    /// message sent for it is dropped by processing. Only the row as inserted. An alias is never listed; its row in the
    /// index's alias partition is how retention finds it.
    /// </summary>
    public async Task MakeAliasAsync(ReceivingRecord inserted, string targetId, CancellationToken cancellationToken)
    {
        var alias = inserted.Entity;
        alias.AliasOf = targetId;
        alias.ReceivingUntil = null;
        alias.MessagesTotal = 0;
        alias.MetricsTotal = 0;
        alias.EntriesJson = null;
        await tables.Ingestions.UpdateEntityAsync(alias, alias.ETag == default ? ETag.All : alias.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        await index.AddAliasAsync(alias, cancellationToken).ConfigureAwait(false);
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
            var change = new TableEntity(ingestionId, inserted.Entity.RowKey)
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

/// <summary>A row the edge inserted, with its ETag.</summary>
public sealed record ReceivingRecord(IngestionEntity Entity);
