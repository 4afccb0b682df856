using System.Diagnostics;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Retention;
using Twine.Functions.Platform.Storage;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// <c>retention [count] [--max-per-run N] [--seed-parallelism N]</c>: issue 13's retention figure. Seeds
/// <c>count</c> settled ingestions straight into Azurite (each an Ingestions row and one outcome row in one entity-group
/// transaction, one kept message, one webhook-id key, and its index row in per-day batches of 100; created 31 to 38 days
/// ago, so they are spread over 7 or 8 day partitions), one in every 1,000 left in flight (<c>processing</c>), then runs
/// <see cref="RetentionRunner"/> (the app's, on the real clock, with its default budget unless <c>--max-per-run</c>)
/// until a run reports it reached the cut-off. Prints the wall time over all runs, the number of runs, and the storage
/// calls the runs made (the app's pipeline counter), then checks that only the in-flight ingestions are left.
/// </summary>
public static class RetentionHarness
{
    private const int InFlightEvery = 1_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 1 && int.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 100_000;
        var maxPerRun = Figures.Option(args, "max-per-run", 0);
        var seedParallelism = Figures.Option(args, "seed-parallelism", 32);
        var figures = new Figures();
        await using var azurite = await BenchApp.StartAzuriteAsync();
        await using var app = BenchApp.Create(azurite, null, settings =>
        {
            if (maxPerRun > 0)
            {
                settings["Retention:MaxIngestionsPerRun"] = maxPerRun.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        var tables = app.Services.GetRequiredService<StorageTables>();
        var runner = app.Services.GetRequiredService<RetentionRunner>();

        Console.WriteLine($"retention: seeding {count:N0} ingestions (1 in {InFlightEvery:N0} in flight) with parallelism {seedParallelism}");
        var seeding = Stopwatch.StartNew();
        var inFlight = await SeedAsync(tables, count, seedParallelism);
        seeding.Stop();
        Console.WriteLine($"  seeded in {seeding.Elapsed.TotalSeconds:F1} s");

        var before = app.StorageCalls.Snapshot();
        var wall = Stopwatch.StartNew();
        var runs = new List<(RetentionRunResult Result, TimeSpan Took)>();
        while (true)
        {
            var run = Stopwatch.StartNew();
            var result = await runner.RunAsync(CancellationToken.None);
            runs.Add((result, run.Elapsed));
            Console.WriteLine($"  run {runs.Count}: {result.Ingestions:N0} deleted, {result.KeptInFlight:N0} kept in flight, finished {result.Finished}, {run.Elapsed.TotalSeconds:F1} s");
            if (result.Finished)
            {
                break;
            }

            if (runs.Count > 1_000)
            {
                throw new InvalidOperationException("Retention did not finish in 1,000 runs.");
            }
        }

        wall.Stop();
        var after = app.StorageCalls.Snapshot();
        var deleted = runs.Sum(r => r.Result.Ingestions);
        var expectedDeleted = count - inFlight;
        if (deleted != expectedDeleted || runs.Sum(r => r.Result.Results) != expectedDeleted || runs.Sum(r => r.Result.Messages) != expectedDeleted
            || runs.Sum(r => r.Result.Keys) != Enumerable.Range(0, count).Count(i => i % 2 == 0 && i % InFlightEvery != InFlightEvery - 1))
        {
            throw new InvalidOperationException($"Retention deleted {deleted} ingestions, expected {expectedDeleted}.");
        }

        await CheckLeftAsync(tables, inFlight);
        var calls = after.Table - before.Table + after.Queue - before.Queue + after.Other - before.Other;
        figures.Add("retention.ingestions", count);
        figures.Add("retention.deleted", deleted);
        figures.Add("retention.kept_in_flight", runs[^1].Result.KeptInFlight);
        figures.Add("retention.seed_s", seeding.Elapsed.TotalSeconds, 1);
        figures.Add("retention.wall_s", wall.Elapsed.TotalSeconds, 1);
        figures.Add("retention.per_s", deleted / wall.Elapsed.TotalSeconds, 0);
        figures.Add("retention.runs", runs.Count);
        figures.Add("retention.longest_run_s", runs.Max(r => r.Took).TotalSeconds, 1);
        figures.Add("retention.storage_calls", calls);
        figures.Add("retention.storage_calls_per_ingestion", deleted == 0 ? double.NaN : (double)calls / deleted);
        figures.Print();
        return 0;
    }

    /// <summary>Writes the ingestions; returns how many were left in flight.</summary>
    private static async Task<int> SeedAsync(StorageTables tables, int count, int parallelism)
    {
        var now = DateTimeOffset.UtcNow;
        var oldest = now.AddDays(-38);
        var step = TimeSpan.FromDays(7) / Math.Max(count, 1);
        var ingestions = Enumerable.Range(0, count).Select(i =>
        {
            var created = oldest + (step * i);
            var id = Guid.CreateVersion7(created).ToString("N");
            var key = i % 2 == 0 ? TableKeys.IdempotencyKeyPartition("idempotency-key\nbench-partner\n" + id) : null; // half send an Idempotency-Key
            var status = i % InFlightEvery == InFlightEvery - 1 ? "processing" : "succeeded";
            return new IngestionEntity
            {
                PartitionKey = id, Kind = "metrics", Status = status, MetricsTotal = 1, MessagesTotal = 1, MessagesDone = status == "succeeded" ? 1 : 0,
                Created = status == "succeeded" ? 1 : 0, Partner = "bench-partner", WebhookId = "msg_" + id, IdempotencyKeyHash = key, CreatedAt = created, UpdatedAt = created,
            };
        }).ToList();

        var seeded = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(ingestions, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (ingestion, ct) =>
        {
            if (Interlocked.Increment(ref seeded) % 10_000 == 0)
            {
                Console.WriteLine($"  {seeded:N0} seeding after {watch.Elapsed.TotalSeconds:F0} s");
            }

            var id = ingestion.PartitionKey;
            var outcome = new IngestionResultEntity { PartitionKey = id, RowKey = IngestionPartitionKeys.For(id).Outcome(0), MetricCount = 1, Created = ingestion.Created, RecordedAt = ingestion.CreatedAt };
            var kept = new KeptMessageEntity { PartitionKey = id, RowKey = IngestionPartitionKeys.For(id).Kept(0), Kind = "metrics", Body = new byte[600] };
            await tables.Ingestions.SubmitTransactionAsync(
                [new TableTransactionAction(TableTransactionActionType.Add, outcome), new TableTransactionAction(TableTransactionActionType.Add, ingestion),
                 new TableTransactionAction(TableTransactionActionType.Add, kept)], ct);
            if (ingestion.IdempotencyKeyHash is { } keyHash)
            {
                await tables.IngestionKeys.AddEntityAsync(new IdempotencyKeyEntity { PartitionKey = keyHash, IngestionId = id, RequestHash = "h", CreatedAt = ingestion.CreatedAt }, ct);
            }
        });

        var indexBatches = ingestions.Select(IngestionIndexEntity.From).GroupBy(r => r.PartitionKey, StringComparer.Ordinal).SelectMany(day => day.Chunk(100)).ToList();
        await Parallel.ForEachAsync(indexBatches, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (batch, ct) =>
            await tables.IngestionIndex.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)), ct));
        return ingestions.Count(i => i.Status != "succeeded");
    }

    /// <summary>Only the in-flight ingestions are left (their rows in each table) and the retention partition's records.</summary>
    private static async Task CheckLeftAsync(StorageTables tables, int inFlight)
    {
        async Task<int> CountAsync(TableClient table, string? filter = null)
        {
            var rows = 0;
            await foreach (var _ in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey"]))
            {
                rows++;
            }

            return rows;
        }

        var left = (Ingestions: await CountAsync(tables.Ingestions), Messages: await CountAsync(tables.IngestionMessages), Keys: await CountAsync(tables.IngestionKeys),
            Index: await CountAsync(tables.IngestionIndex, TableClient.CreateQueryFilter($"PartitionKey ne {TableKeys.RetentionStatePartition}")));
        // Each in-flight ingestion keeps its row, its outcome and its kept copy; the Idempotency-Keys of those that sent one stay too.
        var keysLeft = await CountAsync(tables.IngestionKeys);
        if (left != (inFlight * 3, 0, keysLeft, inFlight) || keysLeft > inFlight)
        {
            throw new InvalidOperationException($"Left after retention: {left}; expected the {inFlight} in flight only.");
        }
    }
}
