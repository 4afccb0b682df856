using Azure.Data.Tables;
using System.Diagnostics;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// <c>azurite-keys [--iterations N] [--sizes 0,1000,3000,10000]</c>: why every row key of the Ingestions table carries its ingestion id
/// (docs/STORAGE.md, <c>IngestionPartitionKeys</c>). Inserts into one Azurite table, as the accept path does, rows whose
/// RowKey every partition shares (<c>ingestion</c>, the previous layout) beside rows whose RowKey is unique, alternating,
/// while the table grows to 0, 1,000, 3,000 and 10,000 shared-key rows; prints the p50 of each at each size.
/// </summary>
public static class AzuriteRowKeysHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = Figures.Option(args, "iterations", 300);
        var at = Array.IndexOf(args, "--sizes");
        var sizes = at >= 0 && at + 1 < args.Length
            ? args[at + 1].Split(',').Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : [0, 1_000, 3_000, 10_000];
        var figures = new Figures();
        await using var azurite = await BenchApp.StartAzuriteAsync();
        var table = new TableClient(azurite.ConnectionString, "rowkeys" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateIfNotExistsAsync();
        var shared = 0;
        Console.WriteLine($"azurite-keys: {iterations} alternating inserts of each kind at each table size");
        foreach (var size in sizes)
        {
            while (shared < size)
            {
                await table.AddEntityAsync(Row(Guid.NewGuid().ToString("N"), shared: true));
                shared++;
            }

            var sharedTimes = new List<double>(iterations);
            var uniqueTimes = new List<double>(iterations);
            for (var i = 0; i < iterations; i++)
            {
                sharedTimes.Add(await TimeAsync(() => table.AddEntityAsync(Row(Guid.NewGuid().ToString("N"), shared: true))));
                uniqueTimes.Add(await TimeAsync(() => table.AddEntityAsync(Row(Guid.NewGuid().ToString("N"), shared: false))));
            }

            shared += iterations;
            figures.Add($"azurite_keys.{size}.shared_p50_ms", Figures.Percentile(sharedTimes, 50), 3);
            figures.Add($"azurite_keys.{size}.unique_p50_ms", Figures.Percentile(uniqueTimes, 50), 3);
        }

        figures.Print();
        return 0;
    }

    private static TableEntity Row(string id, bool shared) =>
        new(id, shared ? "ingestion" : "i_" + id) { ["Kind"] = "metrics", ["Status"] = "receiving", ["MetricsTotal"] = 1 };

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }
}
