using Azure;
using Azure.Data.Tables;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>Processing's writes: a message started, a message's outcome (and the recompute), the whole ingestion failed.</summary>
public sealed partial class IngestionStore
{
    /// <summary>
    /// Records one message's outcome: the outcome row and the ingestion's aggregate (recomputed from every outcome,
    /// this one included) in one entity-group transaction, conditional on the ingestion row read in
    /// <paramref name="snapshot"/> (inserted with it for a message a partner enqueued directly). With the snapshot taken
    /// before the Twine call, that is one storage call. A concurrent write (another message's outcome, the same message
    /// recorded by another delivery) makes the transaction fail whole: the partition is read again and the write retried,
    /// within a bound. Recomputing instead of incrementing makes a repeat harmless: the tables end as one delivery leaves them.
    /// </summary>
    /// <returns>The ingestion's status after the write.</returns>
    public async Task<IngestionStatus> RecordMessageOutcomeAsync(string ingestionId, MessageOutcome outcome, CancellationToken cancellationToken,
        IngestionSnapshot? snapshot = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outcome.MessageIndex);
        for (var attempt = 1; attempt <= OptimisticUpdate.DefaultMaxAttempts; attempt++)
        {
            snapshot ??= await ReadSnapshotAsync(ingestionId, cancellationToken).ConfigureAwait(false);
            var result = ResultRow(snapshot.Ingestion?.Keys ?? IngestionPartitionKeys.For(ingestionId), outcome); // in the layout of the row
            var recorded = snapshot.Result(outcome.MessageIndex);
            var now = timeProvider.GetUtcNow();
            var entity = snapshot.Ingestion ?? new IngestionEntity
            {
                // A message enqueued directly by a partner: no row from the edge, so the message says what the ingestion is.
                PartitionKey = ingestionId,
                Kind = outcome.Kind.ToWire(),
                Status = IngestionStatus.Processing.ToWire(),
                MessagesTotal = outcome.MessageCount,
                CreatedAt = now,
            };
            var before = snapshot.Ingestion is null ? null : IngestionAggregate.Fingerprint(entity);
            var statusBefore = snapshot.Ingestion?.Status;
            MoveOnIfAbandoned(entity);
            IngestionAggregate.Apply(entity, recorded is null ? [.. snapshot.Results.Append(result).OrderBy(r => r.MessageIndex)] : snapshot.Results);
            var status = IngestionNames.ParseStatus(entity.Status);
            if (recorded is not null && before is not null && before == IngestionAggregate.Fingerprint(entity))
            {
                return status; // recorded by an earlier delivery and the aggregate already says so: nothing to write
            }

            entity.UpdatedAt = now;
            entity.Revision = (snapshot.Ingestion?.Revision ?? -1) + 1;
            var actions = new List<TableTransactionAction>();
            if (recorded is null)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, result));
            }

            actions.Add(snapshot.Ingestion is null
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, entity.ETag));
            try
            {
                await tables.Ingestions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                if (entity.Status != statusBefore)
                {
                    await CopyStatusChangeAsync(entity, cancellationToken).ConfigureAwait(false);
                }

                return status;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                snapshot = null; // someone wrote first: read again and recompute
            }
        }

        throw new OptimisticUpdateException(tables.Ingestions.Name, ingestionId, IngestionPartitionKeys.For(ingestionId).Outcome(outcome.MessageIndex), OptimisticUpdate.DefaultMaxAttempts);
    }

    /// <summary>
    /// The history index follows an outcome only when it changed the ingestion's status (the list filters and shows
    /// statuses; its counts are those of the last change, the status read's are live). The write that settles an
    /// ingestion replaces its copy without reading it (one call: nothing newer can be written concurrently, every message
    /// has its outcome); any other change keeps the higher revision (<see cref="IngestionIndex.SyncAsync"/>).
    /// </summary>
    private Task CopyStatusChangeAsync(IngestionEntity entity, CancellationToken cancellationToken) =>
        IsSettled(ToRecord(entity)) && entity.ReplayPendingUntil is null
            ? index.ReplaceAsync(entity, cancellationToken)
            : index.SyncAsync(entity, cancellationToken);

    private IngestionResultEntity ResultRow(IngestionPartitionKeys keys, MessageOutcome outcome)
    {
        var (idsJson, idsTruncated) = JsonPropertyLimit.Serialize(outcome.TwineIds, IngestionJsonContext.Default.ListString);
        var (errorsJson, errorsTruncated) = JsonPropertyLimit.Serialize(outcome.Errors, IngestionJsonContext.Default.ListIngestionError);
        return new IngestionResultEntity
        {
            PartitionKey = keys.IngestionId,
            RowKey = keys.Outcome(outcome.MessageIndex),
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
}
