using System.Collections.Concurrent;
using System.Globalization;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Twine.Sandbox;
using Twine.Testing;
using Twine.Functions.Ingestions;
using Twine.Functions.Metrics;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// <c>throughput</c>: metrics delivered to Twine per second by the pipeline (requests accepted through the real handler,
/// then the queue drained by <see cref="QueueHostEmulation"/> running the real processor, until every ingestion is
/// terminal; from the first fetch to the last ingestion's <c>updatedAt</c>) against <see cref="NaiveTwineClient"/>
/// (token + one POST per metric) run sequentially and 16 at a time, against the sandbox at 50 ms and 200 ms latency and at
/// 200 ms with a rate limit; then freshness (POST → <c>succeeded</c>: the ingestion's <c>updatedAt</c> when it became
/// succeeded minus the moment the POST started) at low load (one request at a time, spaced) and high load (a burst
/// posted 16 at a time while the queue is processed). See docs/PERFORMANCE.md for the options.
/// </summary>
public static class ThroughputHarness
{
    private sealed record Scenario(string Name, int LatencyMs, int RateLimit);

    public static async Task<int> RunAsync(string[] args)
    {
        var ingestions = Figures.Option(args, "ingestions", 200);
        var perRequest = Figures.Option(args, "metrics-per-request", 10);
        var jitterPercent = Figures.Option(args, "jitter-percent", 10);
        var perItemMs = Figures.Option(args, "latency-per-item", 0);
        var rateLimit = Figures.Option(args, "rate-limit", 20);
        var naiveSeconds = Figures.Option(args, "naive-seconds", 6);
        var rounds = Figures.Option(args, "rounds", 1);
        var timeoutSeconds = Figures.Option(args, "timeout-seconds", 240);
        var lowCount = Figures.Option(args, "freshness-low", 20);
        var lowIntervalMs = Figures.Option(args, "freshness-low-interval-ms", 1000);
        var highCount = Figures.Option(args, "freshness-high", 300);
        var freshnessLatency = Figures.Option(args, "freshness-latency", 200);
        var rateLimitIngestions = Figures.Option(args, "rate-limit-ingestions", ingestions);

        var figures = new Figures();
        await using var azurite = await BenchApp.StartAzuriteAsync();
        var sandboxOptions = new SandboxOptions { Port = 0 };
        await using var sandbox = await SandboxServer.StartAsync(sandboxOptions);

        void SetTwine(int latencyMs, int limit)
        {
            sandboxOptions.Latency = TimeSpan.FromMilliseconds(latencyMs);
            sandboxOptions.LatencyJitter = TimeSpan.FromMilliseconds(latencyMs * jitterPercent / 100.0);
            sandboxOptions.LatencyPerItem = TimeSpan.FromMilliseconds(perItemMs);
            sandboxOptions.RateLimit = limit;
            sandboxOptions.RateLimitWindow = TimeSpan.FromSeconds(1);
        }

        Console.WriteLine($"throughput: pipeline {ingestions} requests x {perRequest} metrics (host emulation as host.json: {HostJsonSettings()}) vs naive client " +
                          $"(token + POST per metric) with 1 and 16 workers; sandbox jitter +{jitterPercent}%, per item {perItemMs} ms; rate limit {rateLimit}/s; {rounds} round(s)");
        // Warm-up (not reported): JIT, connections and tokens of both sides, without latency.
        SetTwine(0, 0);
        await RunPipelineAsync(azurite, sandbox, 32, perRequest, TimeSpan.FromSeconds(timeoutSeconds));
        using (var warm = new NaiveTwineClient(sandbox.BaseAddress, sandbox.ClientId, sandbox.ClientSecret))
        {
            await warm.SendAllAsync([.. Enumerable.Range(0, 32).Select(_ => BenchApp.Metric())], 16, CancellationToken.None);
        }

        Scenario[] scenarios = [new("50ms", 50, 0), new("200ms", 200, 0), new($"200ms_ratelimit", 200, rateLimit)];
        foreach (var scenario in scenarios)
        {
            var rates = new Dictionary<string, List<double>> { ["pipeline"] = [], ["naive1"] = [], ["naive16"] = [] };
            for (var round = 0; round < rounds; round++)
            {
                string[] order = round % 2 == 0 ? ["pipeline", "naive16", "naive1"] : ["naive1", "naive16", "pipeline"];
                foreach (var kind in order)
                {
                    sandbox.Reset();
                    SetTwine(scenario.LatencyMs, scenario.RateLimit);
                    double rate;
                    if (kind == "pipeline")
                    {
                        var count = scenario.RateLimit > 0 ? rateLimitIngestions : ingestions;
                        var run = await RunPipelineAsync(azurite, sandbox, count, perRequest, TimeSpan.FromSeconds(timeoutSeconds));
                        rate = run.Metrics / run.Seconds;
                        Console.WriteLine($"  {scenario.Name} pipeline: {run.Metrics} metrics in {run.Seconds:F2} s = {rate:F1}/s; {run.Handled} message runs " +
                                          $"({run.Handled - run.Messages} beyond one per message), {run.Failed} threw, statuses {run.Statuses}, " +
                                          $"Twine: {sandbox.RequestCount("POST", "/patient_health_metric")} creates, {sandbox.RequestCount("POST", "/oauth/token")} tokens");
                    }
                    else
                    {
                        var workers = kind == "naive1" ? 1 : 16;
                        var perSecond = workers * 1000.0 / (2 * (scenario.LatencyMs * (1 + (jitterPercent / 200.0)) + 2));
                        if (scenario.RateLimit > 0)
                        {
                            perSecond = Math.Min(perSecond, scenario.RateLimit / 2.0);
                        }

                        var metrics = Enumerable.Range(0, Math.Max(workers * 2, (int)Math.Ceiling(naiveSeconds * perSecond))).Select(_ => BenchApp.Metric()).ToList();
                        using var naive = new NaiveTwineClient(sandbox.BaseAddress, sandbox.ClientId, sandbox.ClientSecret);
                        var elapsed = await naive.SendAllAsync(metrics, workers, CancellationToken.None);
                        rate = metrics.Count / elapsed.TotalSeconds;
                        Console.WriteLine($"  {scenario.Name} {kind}: {metrics.Count} metrics in {elapsed.TotalSeconds:F2} s = {rate:F1}/s; {naive.Throttled} answers 429");
                    }

                    rates[kind].Add(rate);
                }
            }

            var pipeline = rates["pipeline"].Average();
            var naive1 = rates["naive1"].Average();
            var naive16 = rates["naive16"].Average();
            figures.Add($"throughput.pipeline_{scenario.Name}_per_s", pipeline, 1);
            figures.Add($"throughput.naive1_{scenario.Name}_per_s", naive1, 1);
            figures.Add($"throughput.naive16_{scenario.Name}_per_s", naive16, 1);
            figures.Add($"throughput.ratio_vs_naive1_{scenario.Name}", pipeline / naive1);
            figures.Add($"throughput.ratio_vs_naive16_{scenario.Name}", pipeline / naive16);
        }

        // Freshness: POST -> succeeded, with the queue processed as the host would, at the given latency, no rate limit.
        sandbox.Reset();
        SetTwine(freshnessLatency, 0);
        Console.WriteLine($"freshness at {freshnessLatency} ms latency: low load {lowCount} requests one every {lowIntervalMs} ms; high load {highCount} requests posted 16 at a time");
        foreach (var (name, count, interval) in new[] { ("low", lowCount, lowIntervalMs), ("high", highCount, 0) })
        {
            sandbox.Reset();
            var times = await FreshnessAsync(azurite, sandbox, count, perRequest, interval, TimeSpan.FromSeconds(timeoutSeconds));
            Console.WriteLine($"  {name}: p50 {Figures.Percentile(times, 50):F0} ms, p95 {Figures.Percentile(times, 95):F0} ms, max {times.DefaultIfEmpty(double.NaN).Max():F0} ms over {times.Count} ingestions");
            figures.Add($"freshness.{name}_p50_ms", Figures.Percentile(times, 50), 0);
            figures.Add($"freshness.{name}_p95_ms", Figures.Percentile(times, 95), 0);
        }

        figures.Add("throughput.metrics_per_request", perRequest);
        figures.Add("throughput.requests", ingestions);
        figures.Print();
        return 0;
    }

    private sealed record PipelineRun(int Metrics, double Seconds, int Messages, int Handled, int Failed, string Statuses);

    private static async Task<PipelineRun> RunPipelineAsync(AzuriteFixture azurite, SandboxServer sandbox, int count, int perRequest, TimeSpan timeout)
    {
        await using var app = BenchApp.Create(azurite, sandbox);
        var posted = await PostAsync(app, count, perRequest, 16, 0);
        var messages = (await app.App.MessageCountAsync(app.App.Names.MetricsQueue));
        var host = Host(azurite, app);
        var start = DateTimeOffset.UtcNow;
        var records = await DrainAsync(app, host, posted.Keys, Task.CompletedTask, timeout);
        var done = records.Where(r => r.Status == IngestionStatus.Succeeded).ToList();
        var end = done.Count > 0 ? done.Max(r => r.UpdatedAt) : DateTimeOffset.UtcNow;
        return new PipelineRun(done.Sum(r => r.Created + r.IgnoredDuplicates), (end - start).TotalSeconds, messages, host.Handled, host.Failed, Statuses(records));
    }

    private static async Task<List<double>> FreshnessAsync(AzuriteFixture azurite, SandboxServer sandbox, int count, int perRequest, int intervalMs, TimeSpan timeout)
    {
        await using var app = BenchApp.Create(azurite, sandbox);
        var host = Host(azurite, app);
        var ids = new ConcurrentDictionary<string, DateTimeOffset>();
        var posting = Task.Run(async () =>
        {
            foreach (var (id, at) in await PostAsync(app, count, perRequest, intervalMs > 0 ? 1 : 16, intervalMs))
            {
                ids[id] = at;
            }
        });
        var records = await DrainAsync(app, host, null, posting, timeout, ids);
        if (records.Any(r => r.Status != IngestionStatus.Succeeded))
        {
            Console.WriteLine($"  note: not all succeeded: {Statuses(records)}");
        }

        return [.. records.Where(r => r.Status == IngestionStatus.Succeeded).Select(r => (r.UpdatedAt - ids[r.Id]).TotalMilliseconds)];
    }

    private static string HostJsonSettings()
    {
        var queues = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Twine.Testing.RepoPaths.InRepo("host.json")))!["extensions"]!["queues"]!;
        return $"batch {queues["batchSize"]}, new batch at {queues["newBatchThreshold"]}";
    }

    private static QueueHostEmulation Host(AzuriteFixture azurite, BenchApp app) =>
        QueueHostEmulation.FromHostJson(new QueueClient(azurite.ConnectionString, app.App.Names.MetricsQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }),
            app.Services.GetRequiredService<MetricsMessageProcessor>());

    /// <summary>Posts <paramref name="count"/> requests with <paramref name="posters"/> at a time (or one every <paramref name="intervalMs"/>); each id with its POST's start.</summary>
    private static async Task<Dictionary<string, DateTimeOffset>> PostAsync(BenchApp app, int count, int perRequest, int posters, int intervalMs)
    {
        var bodies = Enumerable.Range(0, count).Select(_ => BenchApp.MetricsBody(perRequest)).ToArray();
        var result = new ConcurrentDictionary<string, DateTimeOffset>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, posters).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                if (intervalMs > 0 && i > 0)
                {
                    await Task.Delay(intervalMs);
                }

                var at = DateTimeOffset.UtcNow;
                var (status, id) = await app.PostMetricsAsync(bodies[i]);
                if (status != 202)
                {
                    throw new InvalidOperationException($"The accept path answered {status}, not 202.");
                }

                result[id!] = at;
            }
        }));
        return new Dictionary<string, DateTimeOffset>(result);
    }

    /// <summary>Runs the host until every ingestion (the given ids, or those posted once <paramref name="posting"/> ends) is terminal; their records.</summary>
    private static async Task<List<IngestionRecord>> DrainAsync(BenchApp app, QueueHostEmulation host, IEnumerable<string>? ids, Task posting, TimeSpan timeout,
        ConcurrentDictionary<string, DateTimeOffset>? posted = null)
    {
        var records = new ConcurrentDictionary<string, IngestionRecord>();
        var lastCheck = DateTimeOffset.MinValue;
        using var cancel = new CancellationTokenSource(timeout);
        async Task<bool> AllDone(CancellationToken cancellationToken)
        {
            if (!posting.IsCompleted || DateTimeOffset.UtcNow - lastCheck < TimeSpan.FromMilliseconds(300))
            {
                return false;
            }

            await posting;
            lastCheck = DateTimeOffset.UtcNow;
            var pending = (ids ?? posted!.Keys).Where(id => records.GetValueOrDefault(id) is not { } r || !Terminal(r.Status)).ToList();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (id, ct) =>
            {
                if (await app.App.Store.GetAsync(id, ct) is { } record)
                {
                    records[id] = record;
                }
            });
            return (ids ?? posted!.Keys).All(id => records.GetValueOrDefault(id) is { } r && Terminal(r.Status));
        }

        try
        {
            await host.RunAsync(AllDone, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.WriteLine($"  note: stopped after {timeout.TotalSeconds:F0} s with ingestions not finished");
            foreach (var id in ids ?? posted!.Keys)
            {
                if (await app.App.Store.GetAsync(id, CancellationToken.None) is { } record)
                {
                    records[id] = record;
                }
            }
        }

        return [.. records.Values];
    }

    private static bool Terminal(IngestionStatus status) => status is IngestionStatus.Succeeded or IngestionStatus.PartlySucceeded or IngestionStatus.Failed;

    private static string Statuses(IEnumerable<IngestionRecord> records) =>
        string.Join(", ", records.GroupBy(r => r.Status).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key.ToWire()}")));
}
