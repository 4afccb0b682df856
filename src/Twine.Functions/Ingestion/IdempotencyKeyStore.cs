using Azure;
using Azure.Data.Tables;
using Twine.Functions.Storage;

namespace Twine.Functions.Ingestion;

/// <summary>
/// Idempotency-Key → ingestion, claimed with a conditional insert: of two concurrent requests with the same key,
/// exactly one insert succeeds; the other gets 409 and reads the winner's row. A key is remembered for
/// <see cref="Retention"/>; after that the same key starts a new ingestion (its row is replaced with the ETag read,
/// so again only one request wins).
/// </summary>
public sealed class IdempotencyKeyStore(StorageTables tables, TimeProvider timeProvider)
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    public async Task<IdempotencyClaim> ClaimAsync(string idempotencyKey, string ingestionId, string requestHash, CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var partition = TableKeys.IdempotencyKeyPartition(idempotencyKey);
        var entity = new IdempotencyKeyEntity
        {
            PartitionKey = partition,
            IngestionId = ingestionId,
            RequestHash = requestHash,
            CreatedAt = timeProvider.GetUtcNow(),
        };
        try
        {
            await tables.IngestionKeys.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return new IdempotencyClaim(true, ingestionId, requestHash, entity.CreatedAt);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = (await tables.IngestionKeys.GetEntityAsync<IdempotencyKeyEntity>(partition, TableKeys.IdempotencyKeyRow, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            if (existing.CreatedAt + Retention > entity.CreatedAt)
            {
                return new IdempotencyClaim(false, existing.IngestionId, existing.RequestHash, existing.CreatedAt);
            }

            try
            {
                // Expired: reuse the key for a new ingestion, unless another request renewed it first.
                await tables.IngestionKeys.UpdateEntityAsync(entity, existing.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return new IdempotencyClaim(true, ingestionId, requestHash, entity.CreatedAt);
            }
            catch (RequestFailedException renewed) when (renewed.Status == 412)
            {
                var winner = (await tables.IngestionKeys.GetEntityAsync<IdempotencyKeyEntity>(partition, TableKeys.IdempotencyKeyRow, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                return new IdempotencyClaim(false, winner.IngestionId, winner.RequestHash, winner.CreatedAt);
            }
        }
    }
}

/// <param name="Won">True when this request inserted the key; false when an earlier request holds it.</param>
public sealed record IdempotencyClaim(bool Won, string IngestionId, string RequestHash, DateTimeOffset ClaimedAt);
