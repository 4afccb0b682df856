using Azure.Data.Tables;

namespace Twine.Functions.Platform.Storage;

/// <summary>
/// Upserts rows in entity-group transactions: one request per partition and 100 rows or about 2.5 MB of values (the
/// service's limits are 100 rows and 4 MiB; binary values travel base64, a third larger), several partitions at once. Upserts make a repeated page harmless: the row ends as one write would leave it.
/// </summary>
public static class TableBatchWriter
{
    private const int MaxBatch = 100;
    private const long MaxBatchBytes = 2_500_000;
    private const int Parallelism = 8;

    /// <returns>The number of transactions sent (storage requests).</returns>
    public static async Task<int> UpsertAsync(TableClient table, IReadOnlyList<TableEntity> rows, TableTransactionActionType mode, CancellationToken cancellationToken)
    {
        // A row twice in one transaction is refused by the service: keep the last of each key.
        var batches = rows
            .GroupBy(r => (r.PartitionKey, r.RowKey)).Select(g => g.Last())
            .GroupBy(r => r.PartitionKey, StringComparer.Ordinal)
            .SelectMany(Chunks)
            .ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (batch, ct) => await table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(mode, r)), ct).ConfigureAwait(false))
            .ConfigureAwait(false);
        return batches.Count;
    }

    private static IEnumerable<List<TableEntity>> Chunks(IEnumerable<TableEntity> partition)
    {
        var batch = new List<TableEntity>();
        long bytes = 0;
        foreach (var row in partition)
        {
            var size = EstimatedBytes(row);
            if (batch.Count == MaxBatch || (batch.Count > 0 && bytes + size > MaxBatchBytes))
            {
                yield return batch;
                (batch, bytes) = ([], 0);
            }

            batch.Add(row);
            bytes += size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>A row's share of a transaction's body, generously: values as sent (base64 for binary) plus framing.</summary>
    private static long EstimatedBytes(TableEntity row) =>
        256 + row.Sum(kv => kv.Value switch
        {
            byte[] bytes => (bytes.Length + 2L) / 3 * 4,
            BinaryData data => (data.ToMemory().Length + 2L) / 3 * 4,
            string text => System.Text.Encoding.UTF8.GetByteCount(text) * 2L, // JSON escaping can double it
            _ => 32L,
        });
}
