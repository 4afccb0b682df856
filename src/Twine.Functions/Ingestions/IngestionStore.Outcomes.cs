using Azure;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>Processing's writes: a message started, a message's outcome (and the recompute), the whole ingestion failed.</summary>
public sealed partial class IngestionStore
{
    /// <summary>
    /// Records one message's outcome. The result row is inserted once (a second delivery's insert gets 409 and is
    /// dropped); the ingestion row is then recomputed from all result rows and written with its ETag. Recomputing
    /// instead of incrementing makes a repeat harmless: the tables end as one delivery would leave them.
    /// </summary>
    /// <returns>The ingestion's status after the recompute.</returns>
    public async Task<IngestionStatus> RecordMessageOutcomeAsync(string ingestionId, MessageOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outcome.MessageIndex);
        var (idsJson, idsTruncated) = JsonPropertyLimit.Serialize(outcome.TwineIds, IngestionJsonContext.Default.ListString);
        var (errorsJson, errorsTruncated) = JsonPropertyLimit.Serialize(outcome.Errors, IngestionJsonContext.Default.ListIngestionError);
        var result = new IngestionResultEntity
        {
            PartitionKey = ingestionId,
            RowKey = TableKeys.MessageRow(outcome.MessageIndex),
            MessageIndex = outcome.MessageIndex,
            MetricCount = outcome.MetricCount,
            Created = outcome.Created,
            IgnoredDuplicates = outcome.IgnoredDuplicates,
            Superseded = outcome.Superseded,
            Failed = outcome.Failed,
            TwineIdsJson = idsJson,
            TwineIdsTruncated = idsTruncated,
            ErrorsJson = errorsJson,
            ErrorsTruncated = errorsTruncated,
            ReasonIfFailed = outcome.ReasonIfFailed,
            RecordedAt = timeProvider.GetUtcNow(),
        };
        try
        {
            await tables.IngestionResults.AddEntityAsync(result, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Already recorded by an earlier delivery; still recompute below, in case that delivery stopped before it did.
        }

        return await RecomputeAsync(ingestionId, outcome, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks the whole ingestion failed (e.g. the poison handler). Terminal: later outcomes update counts only.
    /// When the ingestion has no row (a message enqueued directly by a partner), one is created with
    /// <paramref name="kindIfNew"/>; without it a missing row is an error.
    /// </summary>
    public Task MarkFailedAsync(string ingestionId, string reason, CancellationToken cancellationToken, IngestionKind? kindIfNew = null, int messagesTotalIfNew = 1) =>
        UpdateIngestionAsync(ingestionId, entity =>
        {
            var now = timeProvider.GetUtcNow();
            if (entity is null)
            {
                if (kindIfNew is not { } kind)
                {
                    throw Missing(ingestionId);
                }

                return OptimisticChange<IngestionEntity, bool>.Put(new IngestionEntity
                {
                    PartitionKey = ingestionId,
                    Kind = kind.ToWire(),
                    Status = IngestionStatus.Failed.ToWire(),
                    MessagesTotal = messagesTotalIfNew,
                    FailureReason = reason,
                    CreatedAt = now,
                    UpdatedAt = now,
                }, true);
            }

            if (entity.Status == IngestionStatus.Failed.ToWire() && entity.FailureReason == reason && !entity.FailedWhileReceiving)
            {
                return OptimisticChange<IngestionEntity, bool>.Decline(false); // already recorded: a repeat changes nothing
            }

            entity.Status = IngestionStatus.Failed.ToWire();
            entity.FailureReason = reason;
            entity.FailedWhileReceiving = false;
            entity.ReceivingUntil = null;
            entity.UpdatedAt = now;
            return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
        }, cancellationToken);

    /// <summary>
    /// Accepted → processing when a queue function starts on one of its messages (one ETag-conditional write; nothing
    /// when the ingestion is already further on, or has no row yet because it was enqueued directly). An ingestion
    /// still <c>receiving</c> after its lease ran out was abandoned by the edge between queueing and accepting: the
    /// message proves it was queued, so it moves on to processing too. Returns what was read (null: no row); when every
    /// attempt met a concurrent write (outcomes arriving), the row as it is now.
    /// </summary>
    public async Task<IngestionRecord?> MarkProcessingAsync(string ingestionId, CancellationToken cancellationToken)
    {
        try
        {
            return await UpdateIngestionAsync(ingestionId, entity =>
            {
                if (entity is null)
                {
                    return OptimisticChange<IngestionEntity, IngestionRecord?>.Decline(null);
                }

                var now = timeProvider.GetUtcNow();
                if (!MoveOnIfAbandoned(entity, now))
                {
                    if (entity.Status != IngestionStatus.Accepted.ToWire())
                    {
                        return OptimisticChange<IngestionEntity, IngestionRecord?>.Decline(ToRecord(entity));
                    }

                    entity.Status = IngestionStatus.Processing.ToWire();
                }

                entity.UpdatedAt = now;
                return OptimisticChange<IngestionEntity, IngestionRecord?>.Put(entity, ToRecord(entity));
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (OptimisticUpdateException)
        {
            return await GetAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the ingestion row and its result partition, recomputes the aggregate and writes it with the ETag read (or
    /// inserts it, for a message enqueued directly by a partner). A repeated delivery that changes nothing writes nothing.
    /// </summary>
    private Task<IngestionStatus> RecomputeAsync(string ingestionId, MessageOutcome outcome, CancellationToken cancellationToken) =>
        UpdateIngestionAsync(ingestionId, async (entity, ct) =>
        {
            var results = await GetResultsAsync(ingestionId, ct).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            var isNew = entity is null;
            entity ??= new IngestionEntity
            {
                // A message enqueued directly by a partner: no row from the edge, so the message says what the ingestion is.
                PartitionKey = ingestionId,
                Kind = outcome.Kind.ToWire(),
                Status = IngestionStatus.Processing.ToWire(),
                MessagesTotal = outcome.MessageCount,
                CreatedAt = now,
            };
            var before = isNew ? null : IngestionAggregate.Fingerprint(entity);
            MoveOnIfAbandoned(entity, now);
            IngestionAggregate.Apply(entity, results);
            var status = IngestionNames.ParseStatus(entity.Status);
            if (before is not null && before == IngestionAggregate.Fingerprint(entity))
            {
                return OptimisticChange<IngestionEntity, IngestionStatus>.Decline(status); // a repeated delivery: nothing changed, so nothing is written (not even UpdatedAt)
            }

            entity.UpdatedAt = now;
            return OptimisticChange<IngestionEntity, IngestionStatus>.Put(entity, status);
        }, cancellationToken);
}
