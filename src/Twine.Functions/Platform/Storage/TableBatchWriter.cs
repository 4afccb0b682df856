using Azure.Data.Tables;

namespace Twine.Functions.Platform.Storage;

/// <summary>
/// Upserts rows in entity-group transactions: one request per partition and 100 rows (the service's limit), several
/// partitions at once. Upserts make a repeated page harmless: the row ends as one write would leave it.
/// </summary>
public static class TableBatchWriter
{
    private const int MaxBatch = 100;
    private const int Parallelism = 8;

    /// <returns>The number of transactions sent (storage requests).</returns>
    public static async Task<int> UpsertAsync(TableClient table, IReadOnlyList<TableEntity> rows, TableTransactionActionType mode, CancellationToken cancellationToken)
    {
        // A row twice in one transaction is refused by the service: keep the last of each key.
        var batches = rows
            .GroupBy(r => (r.PartitionKey, r.RowKey)).Select(g => g.Last())
            .GroupBy(r => r.PartitionKey, StringComparer.Ordinal)
            .SelectMany(partition => partition.Chunk(MaxBatch))
            .ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (batch, ct) => await table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(mode, r)), ct).ConfigureAwait(false))
            .ConfigureAwait(false);
        return batches.Count;
    }
}
