using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// Concurrent ingest requests through the real POST /api/metrics handler against Azurite: every request answered 202
/// (no 5xx), one ingestion each, every metric queued exactly once. The 200-request test asserts only that; the
/// 1,000-request run is explicit and measures (throughput is never asserted).
/// </summary>
public sealed class LoadTests(AzuriteFixture azurite)
{
    private const int MetricsPerRequest = 3;

    [Fact]
    public async Task Two_hundred_concurrent_ingest_requests_are_all_accepted_and_every_metric_queued_once() =>
        await RunAsync(200);

    /// <summary>
    /// dotnet test --project tests/Twine.Functions.Tests -- --filter-method "*A_thousand_concurrent*" --explicit only
    /// </summary>
    [Fact(Explicit = true)]
    public async Task A_thousand_concurrent_ingest_requests_measured() =>
        await RunAsync(1000);

    private async Task RunAsync(int requests)
    {
        await using var app = new TestApp(azurite);
        var bodies = Enumerable.Range(0, requests).Select(_ => ReliabilityApp.Metrics(MetricsPerRequest)).ToList();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var latencies = new double[requests];

        // Warm the connection pool and create the tables and queue (a cold start is not what is measured).
        Assert.Equal(202, (await app.PostMetricsAsync(ReliabilityApp.Metrics(1).Body)).Status);
        var warmUp = 1;

        var calls = Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            await go.Task;
            var watch = Stopwatch.StartNew();
            var response = await app.PostMetricsAsync(bodies[i].Body);
            latencies[i] = watch.Elapsed.TotalMilliseconds;
            return response;
        })).ToList();
        var wall = Stopwatch.StartNew();
        go.SetResult();
        var responses = await Task.WhenAll(calls);
        wall.Stop();

        Assert.DoesNotContain(responses, r => r.Status >= 500);
        Assert.All(responses, r => Assert.Equal(202, r.Status));
        var ids = responses.Select(r => r.IngestionId).ToHashSet();
        Assert.Equal(requests, ids.Count);

        // Every ingestion recorded, every metric in the queue exactly once.
        var messages = (await app.DecodedMessagesAsync(app.Names.MetricsQueue)).Select(t => JsonNode.Parse(t)!).ToList();
        var mine = messages.Where(m => ids.Contains(m["ingestionId"]!.GetValue<string>())).ToList();
        Assert.Equal(requests + warmUp, messages.Count);
        Assert.Equal(requests, mine.Count);
        Assert.Equal(requests, mine.Select(m => m["ingestionId"]!.GetValue<string>()).Distinct().Count());
        var queued = mine.SelectMany(m => m["data"]!.AsArray()).Select(d => d!["attributes"]!["occurred_at"]!.GetValue<string>()).ToList();
        var sent = bodies.SelectMany(b => b.Instants).Select(i => i.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(requests * MetricsPerRequest, queued.Count);
        Assert.Equal(sent.Order(StringComparer.Ordinal), queued.Order(StringComparer.Ordinal));
        var recorded = 0;
        foreach (var id in ids)
        {
            var record = await app.Store.GetAsync(id, CancellationToken.None);
            Assert.NotNull(record);
            Assert.Equal((IngestionStatus.Accepted, MetricsPerRequest, 1), (record.Status, record.MetricsTotal, record.MessagesTotal));
            recorded++;
        }

        Array.Sort(latencies);
        ReliabilityApp.Report(string.Create(CultureInfo.InvariantCulture,
            $"| {requests:N0} concurrent POST /api/metrics × {MetricsPerRequest} metrics | {responses.Count(r => r.Status == 202):N0} × 202, {responses.Count(r => r.Status >= 500)} × 5xx | " +
            $"{recorded:N0} ingestions | {mine.Count:N0} messages, {queued.Count:N0} metrics queued (each once) | {requests * MetricsPerRequest - queued.Count} | " +
            $"{wall.Elapsed.TotalMilliseconds:N0} ms | {requests / wall.Elapsed.TotalSeconds:N0} req/s | p50 {Percentile(latencies, 0.50):N0} ms, p95 {Percentile(latencies, 0.95):N0} ms, p99 {Percentile(latencies, 0.99):N0} ms, max {latencies[^1]:N0} ms |"));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
