using System.Diagnostics;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Twine.Sandbox;
using Twine.Functions.Ingestions;
using Twine.Functions.Metrics;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// <c>accept [--iterations N] [--warmup N]</c>: the accept path (MetricsIngestionHandler.HandleAsync with a signed
/// request, as the HTTP trigger hands it over) against one raw enqueue of the same body to the same Azurite queue,
/// alternating one of each (which goes first alternates too), for 1 and 100 metrics; storage calls per accepted request
/// and per processed message counted by a pipeline policy on the app's own storage clients; the processing runs
/// MetricsMessageProcessor on the queued message against the sandbox (no latency), as the queue trigger hands it over.
/// </summary>
public static class AcceptHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = Figures.Option(args, "iterations", 300);
        var warmup = Figures.Option(args, "warmup", 30);
        var figures = new Figures();
        await using var azurite = await BenchApp.StartAzuriteAsync();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = 0 });
        await using var app = BenchApp.Create(azurite, sandbox);
        var queueName = app.App.Names.MetricsQueue;
        var raw = new QueueClient(azurite.ConnectionString, queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

        Console.WriteLine($"accept vs raw enqueue: {iterations} alternating pairs per size after {warmup} warm-up pairs; Azurite in memory, sandbox without latency");
        foreach (var size in new[] { 1, 100 })
        {
            var prefix = size == 1 ? "" : $"_{size}";
            var accept = new List<double>(iterations);
            var enqueue = new List<double>(iterations);
            var calls = new List<(long Table, long Queue, long Other)>(iterations);
            var followUpCalls = new List<long>(iterations);
            for (var i = 0; i < warmup + iterations; i++)
            {
                var body = BenchApp.MetricsBody(size);
                var rawBody = BinaryData.FromBytes(body);
                double acceptMs = 0, enqueueMs = 0;
                long afterAnswer = 0;
                (long, long, long) delta = default;

                async Task Accept()
                {
                    var before = app.StorageCalls.Snapshot();
                    var watch = Stopwatch.StartNew();
                    var (status, _) = await app.PostMetricsAsync(body);
                    acceptMs = watch.Elapsed.TotalMilliseconds;
                    var after = app.StorageCalls.Snapshot();
                    delta = (after.Table - before.Table, after.Queue - before.Queue, after.Other - before.Other);
                    // What the edge does after its 202 (mark accepted, history index): counted apart, finished before the next measurement.
                    await app.Services.GetRequiredService<AcceptFollowUps>().WhenIdleAsync();
                    var settled = app.StorageCalls.Snapshot();
                    afterAnswer = (settled.Table - after.Table) + (settled.Queue - after.Queue) + (settled.Other - after.Other);
                    if (status != 202)
                    {
                        throw new InvalidOperationException($"The accept path answered {status}, not 202.");
                    }
                }

                async Task Enqueue()
                {
                    var watch = Stopwatch.StartNew();
                    await raw.SendMessageAsync(rawBody);
                    enqueueMs = watch.Elapsed.TotalMilliseconds;
                }

                if (i % 2 == 0)
                {
                    await Accept();
                    await Enqueue();
                }
                else
                {
                    await Enqueue();
                    await Accept();
                }

                if (i >= warmup)
                {
                    accept.Add(acceptMs);
                    enqueue.Add(enqueueMs);
                    calls.Add(delta);
                    followUpCalls.Add(afterAnswer);
                }
            }

            var perRequest = calls.GroupBy(c => c).OrderByDescending(g => g.Count()).First().Key;
            if (calls.Distinct().Count() > 1)
            {
                Console.WriteLine($"  note: storage calls per accept varied: {string.Join(", ", calls.Distinct().Select(c => $"{c.Table}+{c.Queue}+{c.Other}"))}");
            }

            var (a50, a95, r50, r95) = (Figures.Percentile(accept, 50), Figures.Percentile(accept, 95), Figures.Percentile(enqueue, 50), Figures.Percentile(enqueue, 95));
            Console.WriteLine($"  {size} metric(s): accept p50 {a50:F2} ms p95 {a95:F2} ms; raw enqueue p50 {r50:F2} ms p95 {r95:F2} ms; " +
                              $"storage calls per accept {perRequest.Table} table + {perRequest.Queue} queue + {perRequest.Other} other");
            figures.Add($"accept{prefix}.storage_calls", perRequest.Table + perRequest.Queue + perRequest.Other);
            figures.Add($"accept{prefix}.storage_calls_after_answer", followUpCalls.GroupBy(c => c).OrderByDescending(g => g.Count()).First().Key);
            figures.Add($"accept{prefix}.table_calls", perRequest.Table);
            figures.Add($"accept{prefix}.queue_calls", perRequest.Queue);
            figures.Add($"accept{prefix}.p50_ms", a50);
            figures.Add($"accept{prefix}.p95_ms", a95);
            figures.Add($"raw_enqueue{prefix}.p50_ms", r50);
            figures.Add($"raw_enqueue{prefix}.p95_ms", r95);
            figures.Add($"accept{prefix}.p50_ratio", a50 / r50);
            figures.Add($"accept{prefix}.p95_ratio", a95 / r95);
        }

        // Per processed message: one accepted request of each size, its queued message(s) run through the processor.
        var processor = app.Services.GetRequiredService<MetricsMessageProcessor>();
        foreach (var size in new[] { 1, 100 })
        {
            var prefix = size == 1 ? "" : $"_{size}";
            (long Table, long Queue, long Other, int Creates, int Messages) counted = default;
            for (var round = 0; round < 2; round++) // the first warms the token and connections; the second is reported
            {
                await raw.ClearMessagesAsync();
                var (status, id) = await app.PostMetricsAsync(BenchApp.MetricsBody(size));
                if (status != 202)
                {
                    throw new InvalidOperationException($"The accept path answered {status}, not 202.");
                }

                await app.Services.GetRequiredService<AcceptFollowUps>().WhenIdleAsync(); // the edge's calls after its 202 are not processing's
                var messages = (await raw.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
                var before = app.StorageCalls.Snapshot();
                var creates = sandbox.RequestCount("POST", "/patient_health_metric");
                foreach (var message in messages)
                {
                    await processor.ProcessAsync(message.MessageText, message.DequeueCount, message.MessageId, CancellationToken.None);
                }

                var after = app.StorageCalls.Snapshot();
                counted = (after.Table - before.Table, after.Queue - before.Queue, after.Other - before.Other,
                    sandbox.RequestCount("POST", "/patient_health_metric") - creates, messages.Length);
                var record = await app.App.Store.GetAsync(id!, CancellationToken.None);
                if (record?.Status.ToString() != "Succeeded")
                {
                    throw new InvalidOperationException($"The ingestion is {record?.Status.ToString() ?? "missing"} after processing, not Succeeded.");
                }
            }

            if (counted.Messages != 1)
            {
                Console.WriteLine($"  note: {size} metric(s) were queued as {counted.Messages} messages; the counts below are per request");
            }

            Console.WriteLine($"  processing {size} metric(s): {counted.Table} table + {counted.Queue} queue + {counted.Other} other storage calls, {counted.Creates} Twine bulk create(s)");
            figures.Add($"process{prefix}.storage_calls", counted.Table + counted.Queue + counted.Other);
            figures.Add($"process{prefix}.table_calls", counted.Table);
            figures.Add($"process{prefix}.queue_calls", counted.Queue);
            figures.Add($"process{prefix}.twine_calls", counted.Creates);
        }

        figures.Print();
        return 0;
    }
}
