using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions.Retention;

/// <summary>What one retention run deleted, what it kept because it was in flight, and whether it reached the cut-off.</summary>
public sealed record RetentionRunResult(int Ingestions, int Results, int Messages, int Keys, int KeptInFlight, bool Finished, DateTimeOffset Cutoff);

/// <summary>
/// Deletes ingestions created before now − <see cref="RetentionOptions.Days"/>, without scanning a table: the history
/// index is partitioned by day, so the run reads the oldest day partitions (a key-range query for the next day, then
/// that day's rows older than the cut-off), and for each ingestion deletes its outcome rows and IngestionMessages
/// partitions (partition queries, batch deletes), its IngestionKeys rows (point reads of the two keys its row names,
/// deleted only while they still name it), its Ingestions row, and last its index row. An ingestion still in flight
/// (accepted, processing, retrying, receiving, or being replayed) is kept. Bounded per run (count and time); since the
/// index row goes last, a run stopped by the budget, a timeout or a crash is resumed by the next run where it stopped.
/// Each run is recorded as a row (IngestionIndex, partition <c>retention</c>) and a log line with its counts.
/// </summary>
public sealed partial class RetentionRunner(StorageTables tables, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionRunner> logger)
{
    private const int Page = 100;
    private const int Parallelism = 8;

    public async Task<RetentionRunResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var cutoff = now.AddDays(-settings.Days);
        var cutoffDay = TableKeys.IndexDay(cutoff);
        var olderThanCutoff = TableKeys.InvertedTime(cutoff); // row keys above this were created before the cut-off
        var totals = new Totals();
        var budget = settings.MaxIngestionsPerRun;
        var finished = true;
        var previous = "";
        while (await NextDayAsync(previous, cutoffDay, cancellationToken).ConfigureAwait(false) is { } day)
        {
            previous = day;
            string after = olderThanCutoff;
            while (true)
            {
                if (budget <= 0 || time.GetElapsedTime(started) > settings.TimeBudget)
                {
                    finished = false;
                    break;
                }

                var rows = await OldRowsAsync(day, after, Math.Min(Page, budget), cancellationToken).ConfigureAwait(false);
                if (rows.Count == 0)
                {
                    break;
                }

                await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                    async (row, ct) => totals.Add(await DeleteIngestionAsync(row, now, ct).ConfigureAwait(false))).ConfigureAwait(false);
                budget -= rows.Count;
                after = rows[^1].RowKey; // in-flight rows stay behind; continue after them
            }

            if (!finished)
            {
                break;
            }
        }

        var result = new RetentionRunResult(totals.Ingestions, totals.Results, totals.Messages, totals.Keys, totals.KeptInFlight, finished, cutoff);
        await RecordAsync(result, now, settings.Days, cancellationToken).ConfigureAwait(false);
        LogRun(result.Ingestions, result.Results, result.Messages, result.Keys, result.KeptInFlight, result.Finished, cutoff);
        return result;
    }

    /// <summary>The oldest day partition after <paramref name="previous"/> up to the cut-off day: a key-range query that returns one row.</summary>
    private async Task<string?> NextDayAsync(string previous, string cutoffDay, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey gt {previous} and PartitionKey le {cutoffDay}");
        await foreach (var page in tables.IngestionIndex.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken)
                           .AsPages().ConfigureAwait(false))
        {
            if (page.Values.Count > 0)
            {
                return page.Values[0].PartitionKey;
            }
        }

        return null;
    }

    private async Task<List<IngestionIndexEntity>> OldRowsAsync(string day, string after, int take, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {day} and RowKey gt {after}");
        var rows = new List<IngestionIndexEntity>(take);
        await foreach (var row in tables.IngestionIndex.QueryAsync<IngestionIndexEntity>(filter, maxPerPage: take, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
            if (rows.Count == take)
            {
                break;
            }
        }

        return rows;
    }

    private async Task<Deleted> DeleteIngestionAsync(IngestionIndexEntity row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = row.IngestionId;
        var read = await tables.Ingestions.GetEntityIfExistsAsync<IngestionEntity>(id, TableKeys.IngestionRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        var ingestion = read.HasValue ? read.Value : null;
        if (ingestion is not null && (!IsSettled(ingestion.Status) || ingestion.ReplayPendingUntil > now))
        {
            return new Deleted(0, 0, 0, 0, KeptInFlight: 1);
        }

        var results = await DeletePartitionAsync(tables.Ingestions, id, cancellationToken, rowKeysBelow: TableKeys.MessageRowsEnd).ConfigureAwait(false);
        var messages = await DeletePartitionAsync(tables.Ingestions, id, cancellationToken,
                           rowKeysBelow: TableKeys.KeptMessageRowsEnd, rowKeysFrom: TableKeys.KeptMessageRowPrefix).ConfigureAwait(false)
                       + await DeletePartitionAsync(tables.IngestionMessages, id, cancellationToken).ConfigureAwait(false); // copies kept before they moved into the partition
        var keys = 0;
        foreach (var hash in new[] { ingestion?.WebhookIdKeyHash, ingestion?.IdempotencyKeyHash }.OfType<string>())
        {
            keys += await DeleteKeyAsync(hash, id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }

        if (ingestion is not null)
        {
            try
            {
                await tables.Ingestions.DeleteEntityAsync(id, TableKeys.IngestionRow, ingestion.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                if (e.Status == 412)
                {
                    return new Deleted(0, results, messages, keys, KeptInFlight: 1); // written meanwhile: the next run looks again
                }
            }
        }

        await DeleteIgnoringMissingAsync(tables.IngestionIndex, row.PartitionKey, row.RowKey, cancellationToken).ConfigureAwait(false);
        return new Deleted(1, results, messages, keys, 0);
    }

    private static bool IsSettled(string status) => status is "succeeded" or "partlySucceeded" or "failed";

    /// <summary>A request key row is deleted only while it still names this ingestion (a later request may have taken the key over).</summary>
    private async Task<bool> DeleteKeyAsync(string partition, string ingestionId, CancellationToken cancellationToken)
    {
        var key = await tables.IngestionKeys.GetEntityIfExistsAsync<IdempotencyKeyEntity>(partition, TableKeys.IdempotencyKeyRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!key.HasValue || key.Value!.IngestionId != ingestionId)
        {
            return false;
        }

        try
        {
            await tables.IngestionKeys.DeleteEntityAsync(partition, TableKeys.IdempotencyKeyRow, key.Value.ETag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Deletes every row of one partition: a partition query for the keys, then batches of 100 (one transaction each).</summary>
    /// <param name="rowKeysBelow">Only the rows whose RowKey sorts below this (an ingestion's outcome rows, not its own row).</param>
    /// <param name="rowKeysFrom">And not below this (an ingestion's kept message copies).</param>
    private static async Task<int> DeletePartitionAsync(TableClient table, string partitionKey, CancellationToken cancellationToken, string? rowKeysBelow = null,
        string rowKeysFrom = "")
    {
        var filter = rowKeysBelow is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {rowKeysFrom} and RowKey lt {rowKeysBelow}");
        var keys = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(new TableEntity(row.PartitionKey, row.RowKey) { ETag = ETag.All });
        }

        foreach (var chunk in keys.Chunk(Page))
        {
            try
            {
                await table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, k, ETag.All)), cancellationToken).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException)
            {
                // A row went meanwhile (another run): delete the rest one by one.
                foreach (var k in chunk)
                {
                    await DeleteIgnoringMissingAsync(table, k.PartitionKey, k.RowKey, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return keys.Count;
    }

    private static async Task DeleteIgnoringMissingAsync(TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already gone.
        }
    }

    /// <summary>The run's row (IngestionIndex, PK <c>retention</c>, RK inverted time: newest first); rows older than the retention go too.</summary>
    private async Task RecordAsync(RetentionRunResult result, DateTimeOffset now, int days, CancellationToken cancellationToken)
    {
        await tables.IngestionIndex.UpsertEntityAsync(new TableEntity(TableKeys.RetentionStatePartition, TableKeys.InvertedTime(now))
        {
            ["RanAt"] = now,
            ["Cutoff"] = result.Cutoff,
            ["Ingestions"] = result.Ingestions,
            ["Results"] = result.Results,
            ["Messages"] = result.Messages,
            ["Keys"] = result.Keys,
            ["KeptInFlight"] = result.KeptInFlight,
            ["Finished"] = result.Finished,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);

        var old = TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.RetentionStatePartition} and RowKey gt {TableKeys.InvertedTime(now.AddDays(-days))}");
        await foreach (var row in tables.IngestionIndex.QueryAsync<TableEntity>(old, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            await DeleteIgnoringMissingAsync(tables.IngestionIndex, row.PartitionKey, row.RowKey, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record Deleted(int Ingestions, int Results, int Messages, int Keys, int KeptInFlight);

    private sealed class Totals
    {
        private int _ingestions, _results, _messages, _keys, _kept;

        public int Ingestions => _ingestions;
        public int Results => _results;
        public int Messages => _messages;
        public int Keys => _keys;
        public int KeptInFlight => _kept;

        public void Add(Deleted d)
        {
            Interlocked.Add(ref _ingestions, d.Ingestions);
            Interlocked.Add(ref _results, d.Results);
            Interlocked.Add(ref _messages, d.Messages);
            Interlocked.Add(ref _keys, d.Keys);
            Interlocked.Add(ref _kept, d.KeptInFlight);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention run deleted {Ingestions} ingestions, {Results} results, {Messages} kept messages, {Keys} request keys; kept {KeptInFlight} in flight; finished {Finished} (cut-off {Cutoff:O})")]
    private partial void LogRun(int ingestions, int results, int messages, int keys, int keptInFlight, bool finished, DateTimeOffset cutoff);
}
