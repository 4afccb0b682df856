using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>
/// A replay's writes (Replay/IngestionReplayer.cs runs them in order): claim the ingestion (ETag-conditional: of two
/// concurrent replays one wins), delete the failed messages' outcome rows (so that their next delivery is recorded
/// anew), then, after re-queueing, release the claim and recompute the status from the outcomes left.
/// </summary>
public sealed partial class IngestionStore
{
    /// <summary>Whether nothing of the ingestion is under way: every message has its outcome, or it was failed as a whole.</summary>
    public static bool IsSettled(IngestionRecord record) =>
        record.Status is IngestionStatus.Succeeded or IngestionStatus.PartlySucceeded or IngestionStatus.Failed;

    /// <summary>
    /// Claims a settled ingestion for a replay of <paramref name="messageIndexes"/> until <paramref name="leaseUntil"/>:
    /// counts the replay, clears a failure marked on the whole ingestion (its messages are being sent again) and sets the
    /// lease. Declines (false) when the ingestion is not settled, or another replay holds an unexpired lease.
    /// </summary>
    public async Task<bool> TryBeginReplayAsync(string ingestionId, IReadOnlyList<int> messageIndexes, DateTimeOffset leaseUntil,
        CancellationToken cancellationToken)
    {
        try
        {
            return await UpdateIngestionAsync(ingestionId, entity =>
            {
                var now = timeProvider.GetUtcNow();
                if (entity is null || !IsSettled(ToRecord(entity)) || entity.ReplayPendingUntil > now)
                {
                    return OptimisticChange<IngestionEntity, bool>.Decline(false);
                }

                entity.ReplayCount++;
                entity.LastReplayAt = now;
                entity.LastReplayMessagesJson = JsonSerializer.Serialize(messageIndexes.ToList(), IngestionJsonContext.Default.ListInt32);
                entity.ReplayPendingUntil = leaseUntil;
                entity.FailureReason = null;
                entity.FailedWhileReceiving = false;
                entity.UpdatedAt = now;
                return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
            }, cancellationToken, maxAttempts: 1).ConfigureAwait(false);
        }
        catch (OptimisticUpdateException)
        {
            return false; // a concurrent write (an outcome, another replay): the caller answers "in flight"
        }
    }

    /// <summary>Deletes the outcome rows of the messages being replayed, by the keys they were read with (a row gone meanwhile is fine).</summary>
    public async Task DeleteResultsAsync(IReadOnlyList<IngestionResultEntity> outcomes, CancellationToken cancellationToken)
    {
        foreach (var chunk in outcomes.Chunk(100))
        {
            await Task.WhenAll(chunk.Select(async outcome =>
            {
                try
                {
                    await tables.Ingestions.DeleteEntityAsync(outcome.PartitionKey, outcome.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    // Deleted meanwhile: nothing to do.
                }
            })).ConfigureAwait(false);
        }
    }

    /// <summary>The messages are queued again: release the claim and recompute the aggregate from the outcomes there are now.</summary>
    public Task FinishReplayAsync(string ingestionId, CancellationToken cancellationToken) =>
        UpdateIngestionAsync(ingestionId, async (entity, ct) =>
        {
            if (entity is null)
            {
                throw Missing(ingestionId);
            }

            entity.ReplayPendingUntil = null;
            IngestionAggregate.Apply(entity, await GetResultsAsync(ingestionId, ct).ConfigureAwait(false));
            entity.UpdatedAt = timeProvider.GetUtcNow();
            return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
        }, cancellationToken);

    /// <summary>
    /// The kept queue messages of an ingestion, by message index: one query of its partition's copies, and of the
    /// IngestionMessages table where ingestions accepted before the copies moved into the partition kept theirs.
    /// </summary>
    public async Task<IReadOnlyDictionary<int, KeptMessageEntity>> GetKeptMessagesAsync(string ingestionId, CancellationToken cancellationToken)
    {
        var kept = new Dictionary<int, KeptMessageEntity>();
        var legacy = TableClient.CreateQueryFilter($"PartitionKey eq {ingestionId}");
        await foreach (var row in tables.IngestionMessages.QueryAsync<KeptMessageEntity>(legacy, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (TableKeys.MessageIndexOf(row.RowKey) is { } index)
            {
                kept[index] = row;
            }
        }

        var copies = TableClient.CreateQueryFilter(
            $"PartitionKey eq {ingestionId} and RowKey ge {TableKeys.KeptMessageRowPrefix} and RowKey lt {TableKeys.KeptMessageRowsEnd}");
        await foreach (var row in tables.Ingestions.QueryAsync<KeptMessageEntity>(copies, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (TableKeys.MessageIndexOf(row.RowKey[TableKeys.KeptMessageRowPrefix.Length..]) is { } index)
            {
                kept[index] = row;
            }
        }

        return kept;
    }
}
