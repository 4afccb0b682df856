using Azure;
using Azure.Data.Tables;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>The HTTP edge's writes: receiving (while it queues), accepted, failed to queue, taken over by a retry.</summary>
public sealed partial class IngestionStore
{
    /// <summary>
    /// Inserts a new ingestion in the internal <c>receiving</c> state. Returns the new row's ETag (so that accepting it
    /// needs no read), or null when the id is already taken.
    /// </summary>
    public async Task<ETag?> TryCreateReceivingAsync(string ingestionId, NewIngestion ingestion, string requestHash,
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
            WebhookIdKeyHash = ingestion.Source?.WebhookIdKeyHash,
            IdempotencyKeyHash = ingestion.Source?.IdempotencyKeyHash,
            CreatedAt = now,
            UpdatedAt = now,
        };
        try
        {
            var response = await tables.Ingestions.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            await index.SyncAsync(entity, cancellationToken).ConfigureAwait(false);
            return response.Headers.ETag ?? default(ETag);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    /// <summary>
    /// Receiving → accepted, once every message is queued. With the ETag of the insert this is one conditional merge;
    /// if the row changed meanwhile (a fast queue trigger recorded an outcome), it is read and recomputed instead.
    /// </summary>
    public async Task MarkAcceptedAsync(string ingestionId, ETag? insertedETag, CancellationToken cancellationToken)
    {
        if (insertedETag is { } etag)
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
                await index.SyncFromRowAsync(ingestionId, cancellationToken).ConfigureAwait(false);
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
                return OptimisticChange<IngestionEntity, bool>.Decline(false); // already accepted, or failed/taken over by another attempt
            }

            entity.Status = IngestionStatus.Accepted.ToWire();
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

            if (entity.Status != IngestionStatus.Receiving.ToWire())
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
