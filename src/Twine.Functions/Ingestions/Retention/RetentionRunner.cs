using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions.Retention;

/// <summary>What one retention run deleted, what it kept because it was in flight, and whether it reached the cut-off.</summary>
/// <param name="Aliases">Alias rows deleted (webhook-ids whose request repeated another ingestion: <see cref="TableKeys.AliasIndexPartition"/>).</param>
public sealed record RetentionRunResult(int Ingestions, int Results, int Messages, int Keys, int KeptInFlight, bool Finished, DateTimeOffset Cutoff, int Aliases = 0);

/// <summary>
/// Deletes ingestions created before now − <see cref="RetentionOptions.Days"/>, without scanning a table: the history
/// index is partitioned by day, so the run reads the oldest day partitions (a key-range query for the next day, then
/// that day's rows older than the cut-off, a page at a time), and deletes each ingestion with
/// <see cref="DeleteIngestionAsync"/>: one query of its Ingestions partition (its row and its outcome rows), its
/// IngestionKeys rows (point reads of the keys its row names, deleted only while they still name it), then its
/// outcome rows and its row in one entity-group transaction with the row conditional on the ETag read (so an ingestion
/// written meanwhile, e.g. a replay starting, is kept whole), then its kept messages (a partition query and a batch).
/// An ingestion still in flight (accepted, processing, retrying, receiving, or being replayed) is kept. The index rows
/// of the page's deleted ingestions go last, in batches of 100 (one day partition), so a run stopped by the budget, a
/// timeout or a crash is resumed by the next run: an index row whose ingestion row is gone has what is left of it
/// deleted. Bounded per run (count and time, checked between pages). Each run is recorded as a row (IngestionIndex,
/// partition <c>retention</c>) and a log line with its counts.
/// </summary>
public sealed partial class RetentionRunner(StorageTables tables, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionRunner> logger)
{
    /// <summary>Index rows read per page (a page's ingestions are deleted in parallel, then its index rows).</summary>
    private const int Page = 1000;

    /// <summary>An entity-group transaction's limit.</summary>
    private const int Batch = 100;

    private const int Parallelism = 16;

    public async Task<RetentionRunResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var cutoff = now.AddDays(-settings.Days);
        var cutoffDay = TableKeys.IndexDay(cutoff);
        var olderThanCutoff = TableKeys.InvertedTime(cutoff); // row keys above this were created before the cut-off
        var totals = new Totals();
        var budget = new Budget(settings.MaxIngestionsPerRun, started, settings.TimeBudget, time);
        var finished = true;
        var previous = "";
        while (finished && await NextDayAsync(previous, cutoffDay, cancellationToken).ConfigureAwait(false) is { } day)
        {
            previous = day;
            finished = await SweepAsync(day, olderThanCutoff, budget, async (row, ct) =>
            {
                var deleted = await DeleteIngestionAsync(row.IngestionId, now, ct).ConfigureAwait(false);
                totals.Add(deleted);
                return deleted.Ingestions == 1; // in-flight rows stay behind
            }, cancellationToken).ConfigureAwait(false);
        }

        // The alias rows once every day up to the cut-off is done (they are never older than the ingestion they name).
        if (finished)
        {
            finished = await SweepAsync(TableKeys.AliasIndexPartition, olderThanCutoff, budget, async (row, ct) =>
            {
                totals.AddAlias(await DeleteAliasAsync(row.IngestionId, ct).ConfigureAwait(false));
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }

        var result = new RetentionRunResult(totals.Ingestions, totals.Results, totals.Messages, totals.Keys, totals.KeptInFlight, finished, cutoff, totals.Aliases);
        await RecordAsync(result, now, settings.Days, cancellationToken).ConfigureAwait(false);
        LogRun(result.Ingestions, result.Results, result.Messages, result.Keys, result.Aliases, result.KeptInFlight, result.Finished, cutoff);
        return result;
    }

    /// <summary>
    /// Pages through one index partition's rows created before the cut-off (<paramref name="olderThanCutoff"/>), deleting
    /// what each row names (<paramref name="deleteOne"/>, 16 at a time) and then the page's index rows whose deletion it
    /// confirmed. Returns whether the partition is done, false when the run's budget ran out first.
    /// </summary>
    private async Task<bool> SweepAsync(string partition, string olderThanCutoff, Budget budget,
        Func<IngestionIndexEntity, CancellationToken, Task<bool>> deleteOne, CancellationToken cancellationToken)
    {
        var after = olderThanCutoff;
        while (true)
        {
            if (budget.Spent)
            {
                return false;
            }

            var rows = await OldRowsAsync(partition, after, Math.Min(Page, budget.Left), cancellationToken).ConfigureAwait(false);
            if (rows.Count == 0)
            {
                return true;
            }

            var gone = new System.Collections.Concurrent.ConcurrentBag<IngestionIndexEntity>();
            await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (row, ct) =>
                {
                    if (await deleteOne(row, ct).ConfigureAwait(false))
                    {
                        gone.Add(row);
                    }
                }).ConfigureAwait(false);
            await DeleteIndexRowsAsync(partition, [.. gone], cancellationToken).ConfigureAwait(false);
            budget.Take(rows.Count);
            after = rows[^1].RowKey; // rows kept stay behind; continue after them
        }
    }

    /// <summary>An alias row goes only while it is still the alias it was (conditional on the ETag read). Returns whether it went.</summary>
    private async Task<bool> DeleteAliasAsync(string id, CancellationToken cancellationToken)
    {
        var alias = await IngestionStore.ReadRowAsync(tables.Ingestions, id, AliasColumns, cancellationToken).ConfigureAwait(false);
        if (alias is not { AliasOf: not null })
        {
            return false;
        }

        try
        {
            await tables.Ingestions.DeleteEntityAsync(alias.PartitionKey, alias.RowKey, alias.ETag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false; // gone meanwhile (another run)
        }
    }

    /// <summary>What a run may still do: ingestions (count) and time, checked between pages.</summary>
    private sealed class Budget(int count, long started, TimeSpan timeBudget, TimeProvider time)
    {
        public int Left { get; private set; } = count;

        public bool Spent => Left <= 0 || time.GetElapsedTime(started) > timeBudget;

        public void Take(int rows) => Left -= rows;
    }

    private static readonly string[] AliasColumns = [nameof(IngestionEntity.PartitionKey), nameof(IngestionEntity.RowKey), nameof(IngestionEntity.AliasOf)];

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
        await foreach (var row in tables.IngestionIndex.QueryAsync<IngestionIndexEntity>(filter, maxPerPage: take,
                           select: [nameof(IngestionIndexEntity.PartitionKey), nameof(IngestionIndexEntity.RowKey), nameof(IngestionIndexEntity.IngestionId)],
                           cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
            if (rows.Count == take)
            {
                break;
            }
        }

        return rows;
    }

    /// <summary>
    /// Deletes one ingestion and everything kept for it, unless it is in flight; the caller deletes its index row after.
    /// The order makes a stop anywhere safe to resume: the request keys first (they only need to outlive a partner's
    /// retries, long past at the cut-off), then the Ingestions partition with the row conditional on the ETag read (a
    /// changed row fails the whole transaction, so nothing of an ingestion written meanwhile goes), then what hangs off
    /// the id alone (kept messages), which a later run still finds from the index row when the ingestion row is gone.
    /// </summary>
    private async Task<Deleted> DeleteIngestionAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ingestion = await IngestionStore.ReadRowAsync(tables.Ingestions, id, IngestionColumns, cancellationToken).ConfigureAwait(false);
        if (ingestion is not null && (!IsSettled(ingestion.Status) || ingestion.ReplayPendingUntil > now))
        {
            return new Deleted(0, 0, 0, 0, KeptInFlight: 1);
        }

        var keys = 0;
        foreach (var hash in new[] { ingestion?.WebhookIdKeyHash, ingestion?.IdempotencyKeyHash }.OfType<string>())
        {
            // A claim has the layout of its ingestion's row: made before unique row keys, its RK is "key".
            var rowKey = ingestion!.Keys.Legacy ? TableKeys.LegacyIdempotencyKeyRow : TableKeys.IdempotencyKeyRow(hash);
            keys += await DeleteKeyAsync(hash, rowKey, id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }

        if (await DeleteIngestionPartitionAsync(id, ingestion, cancellationToken).ConfigureAwait(false) is not { } deleted)
        {
            return new Deleted(0, 0, 0, keys, KeptInFlight: 1); // written meanwhile: the next run looks again
        }

        // Ingestions accepted before kept copies moved into their partition (their rows name a webhook-id key row) kept them in IngestionMessages.
        var legacy = ingestion is null || ingestion.WebhookIdKeyHash is not null
            ? await DeleteLegacyKeptMessagesAsync(id, ingestion?.MessagesTotal ?? 0, cancellationToken).ConfigureAwait(false)
            : 0;
        return new Deleted(1, deleted.Results, deleted.Kept + legacy, keys, 0);
    }

    /// <summary>What retention reads of an ingestion row (a point read; the ETag comes with it).</summary>
    private static readonly string[] IngestionColumns =
    [
        nameof(IngestionEntity.PartitionKey), nameof(IngestionEntity.RowKey), nameof(IngestionEntity.Status), nameof(IngestionEntity.ReplayPendingUntil),
        nameof(IngestionEntity.MessagesTotal), nameof(IngestionEntity.MessagesDone), nameof(IngestionEntity.WebhookIdKeyHash), nameof(IngestionEntity.IdempotencyKeyHash),
    ];

    /// <summary>
    /// The ingestion's Ingestions partition: its outcome rows, its kept message copies and its row (<paramref name="ingestion"/>,
    /// null when a stopped run already deleted it). A settled ingestion has one outcome row and one copy per message (RK
    /// the message index, and "m" + it), so when they fit one transaction they go with the row without a query; otherwise,
    /// or when one is missing, a partition query finds the rows. The row, conditional on its ETag, is always in the first
    /// transaction. Returns the outcome rows and copies deleted, or null when the row changed or went meanwhile (nothing
    /// was deleted).
    /// </summary>
    private async Task<(int Results, int Kept)?> DeleteIngestionPartitionAsync(string id, IngestionEntity? ingestion, CancellationToken cancellationToken)
    {
        var rowDelete = ingestion is null ? null : new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(id, ingestion.RowKey), ingestion.ETag);
        if (ingestion is not null && ingestion.MessagesDone == ingestion.MessagesTotal && 2 * ingestion.MessagesTotal < Batch && ingestion.WebhookIdKeyHash is null)
        {
            var keys = ingestion.Keys;
            var rows = Enumerable.Range(0, ingestion.MessagesTotal).SelectMany(i => new[] { keys.Outcome(i), keys.Kept(i) })
                .Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(id, k), ETag.All));
            try
            {
                await tables.Ingestions.SubmitTransactionAsync([.. rows, rowDelete!], cancellationToken).ConfigureAwait(false);
                return (ingestion.MessagesTotal, ingestion.MessagesTotal);
            }
            catch (TableTransactionFailedException e) when (e.Status == 412)
            {
                return null;
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // An outcome row is not where the count says (or the row went): look at the partition.
            }
        }

        var others = new List<TableEntity>();
        var rowThere = false;
        await foreach (var row in tables.Ingestions.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {id}"), select: ["PartitionKey", "RowKey"],
                           cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (TableKeys.IsIngestionRow(row.RowKey))
            {
                rowThere = true;
            }
            else
            {
                others.Add(new TableEntity(row.PartitionKey, row.RowKey));
            }
        }

        if (rowDelete is not null && !rowThere)
        {
            return null; // another run deleted it meanwhile
        }

        var first = others.Take(rowDelete is null ? Batch : Batch - 1).Select(k => new TableTransactionAction(TableTransactionActionType.Delete, k, ETag.All)).ToList();
        if (rowDelete is not null)
        {
            first.Add(rowDelete);
        }

        if (first.Count > 0)
        {
            try
            {
                await tables.Ingestions.SubmitTransactionAsync(first, cancellationToken).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException e) when (e.Status == 412)
            {
                return null;
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // A row went meanwhile (another run): the rest one by one, the ingestion row last and still conditional.
                foreach (var action in first)
                {
                    try
                    {
                        await tables.Ingestions.DeleteEntityAsync(id, action.Entity.RowKey, action.ETag, cancellationToken).ConfigureAwait(false);
                    }
                    catch (RequestFailedException missing) when (missing.Status == 404)
                    {
                        if (action == rowDelete)
                        {
                            return null;
                        }
                    }
                    catch (RequestFailedException changed) when (changed.Status == 412)
                    {
                        return null;
                    }
                }
            }
        }

        var rest = others.Skip(first.Count - (rowDelete is null ? 0 : 1)).ToList();
        await DeleteRowsAsync(tables.Ingestions, rest, cancellationToken).ConfigureAwait(false);
        var kept = others.Count(k => k.RowKey.StartsWith(TableKeys.KeptMessageRowPrefix, StringComparison.Ordinal));
        return (others.Count - kept, kept);
    }

    /// <summary>
    /// The kept messages of an ingestion accepted before copies moved into its partition (IngestionMessages, PK = its id,
    /// RK = the message index): one per message, so <paramref name="messagesTotal"/> of them go in one transaction
    /// without a query; otherwise, or when one is missing (a message kept nowhere, a stopped run), a partition query
    /// finds them.
    /// </summary>
    private async Task<int> DeleteLegacyKeptMessagesAsync(string id, int messagesTotal, CancellationToken cancellationToken)
    {
        if (messagesTotal is > 0 and <= Batch)
        {
            try
            {
                await tables.IngestionMessages.SubmitTransactionAsync(
                    Enumerable.Range(0, messagesTotal).Select(i => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(id, TableKeys.LegacyKeptMessageRow(i)), ETag.All)),
                    cancellationToken).ConfigureAwait(false);
                return messagesTotal;
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // Not one per message: look at the partition.
            }
        }

        var keys = new List<TableEntity>();
        await foreach (var row in tables.IngestionMessages.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {id}"), select: ["PartitionKey", "RowKey"],
                           cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(new TableEntity(row.PartitionKey, row.RowKey));
        }

        await DeleteRowsAsync(tables.IngestionMessages, keys, cancellationToken).ConfigureAwait(false);
        return keys.Count;
    }

    /// <summary>The page's index rows whose ingestions went (one day partition): batches of 100, after the ingestions.</summary>
    private Task DeleteIndexRowsAsync(string day, IReadOnlyList<IngestionIndexEntity> rows, CancellationToken cancellationToken) =>
        DeleteRowsAsync(tables.IngestionIndex, rows.Select(r => new TableEntity(day, r.RowKey)), cancellationToken);

    private static bool IsSettled(string status) => status is "succeeded" or "partlySucceeded" or "failed";

    /// <summary>A request key row is deleted only while it still names this ingestion (a later request may have taken the key over).</summary>
    private async Task<bool> DeleteKeyAsync(string partition, string rowKey, string ingestionId, CancellationToken cancellationToken)
    {
        var key = await tables.IngestionKeys.GetEntityIfExistsAsync<IdempotencyKeyEntity>(partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!key.HasValue || key.Value!.IngestionId != ingestionId)
        {
            return false;
        }

        try
        {
            await tables.IngestionKeys.DeleteEntityAsync(partition, rowKey, key.Value.ETag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Deletes rows of one partition, whatever their ETag: batches of 100 (one transaction each), in parallel.</summary>
    private static async Task DeleteRowsAsync(TableClient table, IEnumerable<TableEntity> rows, CancellationToken cancellationToken)
    {
        var chunks = rows.Chunk(Batch).ToList();
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            try
            {
                await table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, k, ETag.All)), ct).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException)
            {
                // A row went meanwhile (another run): delete the rest one by one.
                foreach (var k in chunk)
                {
                    await DeleteIgnoringMissingAsync(table, k.PartitionKey, k.RowKey, ct).ConfigureAwait(false);
                }
            }
        }).ConfigureAwait(false);
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
            ["Aliases"] = result.Aliases,
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
        private int _ingestions, _results, _messages, _keys, _kept, _aliases;

        public int Ingestions => _ingestions;
        public int Results => _results;
        public int Messages => _messages;
        public int Keys => _keys;
        public int KeptInFlight => _kept;
        public int Aliases => _aliases;

        public void AddAlias(bool deleted)
        {
            if (deleted)
            {
                Interlocked.Increment(ref _aliases);
            }
        }

        public void Add(Deleted d)
        {
            Interlocked.Add(ref _ingestions, d.Ingestions);
            Interlocked.Add(ref _results, d.Results);
            Interlocked.Add(ref _messages, d.Messages);
            Interlocked.Add(ref _keys, d.Keys);
            Interlocked.Add(ref _kept, d.KeptInFlight);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention run deleted {Ingestions} ingestions, {Results} results, {Messages} kept messages, {Keys} request keys, {Aliases} aliases; kept {KeptInFlight} in flight; finished {Finished} (cut-off {Cutoff:O})")]
    private partial void LogRun(int ingestions, int results, int messages, int keys, int aliases, int keptInFlight, bool finished, DateTimeOffset cutoff);
}
