using Azure;
using Azure.Data.Tables;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>
/// Request keys (a partner's webhook-id or Idempotency-Key, see <see cref="Webhooks.RequestKeys"/>) → ingestion, claimed
/// with a conditional insert: of two concurrent requests with the same key, exactly one insert succeeds; the other gets
/// 409 and reads the winner's row. A key is remembered for <see cref="Retention"/>, far longer than a signature's
/// five-minute tolerance, so a captured request can never be replayed past it; after that the same key starts a new
/// ingestion (its row is replaced with the ETag read, so again only one request wins).
/// </summary>
public sealed class IdempotencyKeyStore(StorageTables tables, TimeProvider timeProvider)
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    public async Task<IdempotencyClaim> ClaimAsync(string key, string ingestionId, string requestHash, CancellationToken cancellationToken)
    {
        // A key can be released between our insert and our read (its request was refused): claim again, a bounded number of times.
        for (var attempt = 1; ; attempt++)
        {
            if (await TryClaimAsync(key, ingestionId, requestHash, cancellationToken).ConfigureAwait(false) is { } claim)
            {
                return claim;
            }

            if (attempt == MaxClaimAttempts)
            {
                throw new RequestFailedException(409, $"The key was claimed and released {MaxClaimAttempts} times while this request claimed it; retry.");
            }
        }
    }

    private const int MaxClaimAttempts = 3;

    /// <summary>The claim, or null when the row was released between the insert that failed and the read.</summary>
    private async Task<IdempotencyClaim?> TryClaimAsync(string key, string ingestionId, string requestHash, CancellationToken cancellationToken)
    {
        var partition = TableKeys.IdempotencyKeyPartition(key);
        var entity = new IdempotencyKeyEntity
        {
            PartitionKey = partition,
            IngestionId = ingestionId,
            RequestHash = requestHash,
            CreatedAt = timeProvider.GetUtcNow(),
        };
        try
        {
            var added = await tables.IngestionKeys.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return new IdempotencyClaim(true, ingestionId, requestHash, entity.CreatedAt, added.Headers.ETag ?? default);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = await ReadAsync(partition, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                return null;
            }

            if (existing.CreatedAt + Retention > entity.CreatedAt)
            {
                return new IdempotencyClaim(false, existing.IngestionId, existing.RequestHash, existing.CreatedAt, existing.ETag);
            }

            try
            {
                // Expired: reuse the key for a new ingestion, unless another request renewed it first.
                var replaced = await tables.IngestionKeys.UpdateEntityAsync(entity, existing.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return new IdempotencyClaim(true, ingestionId, requestHash, entity.CreatedAt, replaced.Headers.ETag ?? default);
            }
            catch (RequestFailedException renewed) when (renewed.Status is 412 or 404)
            {
                var winner = await ReadAsync(partition, cancellationToken).ConfigureAwait(false)
                    ?? throw new RequestFailedException(409, "The key changed twice while it was being claimed; retry.");
                return new IdempotencyClaim(false, winner.IngestionId, winner.RequestHash, winner.CreatedAt, winner.ETag);
            }
        }
    }

    /// <summary>
    /// Forgets a key this request claimed when the request is refused after all (its other key was reused with another
    /// request), so that the key does not point at an ingestion that will never exist. Only the row as claimed is removed.
    /// </summary>
    public async Task ReleaseAsync(string key, IdempotencyClaim claimed, CancellationToken cancellationToken)
    {
        try
        {
            var partition = TableKeys.IdempotencyKeyPartition(key);
            await tables.IngestionKeys.DeleteEntityAsync(partition, TableKeys.IdempotencyKeyRow(partition), claimed.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone or changed since: nothing of ours to release.
        }
    }

    private async Task<IdempotencyKeyEntity?> ReadAsync(string partition, CancellationToken cancellationToken)
    {
        var response = await tables.IngestionKeys.GetEntityIfExistsAsync<IdempotencyKeyEntity>(partition, TableKeys.IdempotencyKeyRow(partition), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }
}

/// <param name="Won">True when this request inserted the key; false when an earlier request holds it.</param>
/// <param name="ETag">The row's ETag as this request saw it (to redirect or release a key it won).</param>
public sealed record IdempotencyClaim(bool Won, string IngestionId, string RequestHash, DateTimeOffset ClaimedAt, ETag ETag);
