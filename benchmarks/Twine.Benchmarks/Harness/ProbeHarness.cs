using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Platform.Storage;

namespace Twine.Benchmarks.Harness;

public static class ProbeHarness
{
    public static async Task<int> RunAsync()
    {
        await using var azurite = await BenchApp.StartAzuriteAsync();
        await using var app = BenchApp.Create(azurite, null);
        var tables = app.Services.GetRequiredService<StorageTables>();
        await tables.Ingestions.CreateIfNotExistsAsync();
        var raw = new QueueClient(azurite.ConnectionString, app.App.Names.MetricsQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await raw.CreateIfNotExistsAsync();
        var body = BenchApp.MetricsBody(100);
        var read = new List<double>();
        for (var i = 0; i < 400; i++)
        {
            var w0 = Stopwatch.StartNew();
            var r = Twine.Functions.Metrics.MetricsRequestReader.Read(body);
            var msgs = r.Plan!.Messages("0123456789abcdef0123456789abcdef").ToList();
            var copies = Twine.Functions.Ingestions.Queues.IngestionQueues.KeptCopies(Twine.Functions.Ingestions.IngestionKind.Metrics, msgs);
            var h = Twine.Functions.Ingestions.IngestionAcceptor.RequestHash("POST", "metrics", body);
            read.Add(w0.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"read+plan+copies+hash(100): p50 {Figures.Percentile(read.Skip(50).ToList(), 50):F3} ms, body {body.Length} bytes");
        var t = new Dictionary<string, List<double>> { ["enqueue"] = [], ["add"] = [], ["batch1"] = [], ["batch2"] = [], ["handler_nostorage"] = [] };
        for (var i = 0; i < 400; i++)
        {
            var w = Stopwatch.StartNew();
            await raw.SendMessageAsync(BinaryData.FromBytes(body));
            t["enqueue"].Add(w.Elapsed.TotalMilliseconds);
            var pk = Guid.NewGuid().ToString("N");
            w.Restart();
            await tables.Ingestions.AddEntityAsync(new TableEntity(pk, "ingestion") { ["A"] = "x", ["B"] = 1 });
            t["add"].Add(w.Elapsed.TotalMilliseconds);
            pk = Guid.NewGuid().ToString("N");
            w.Restart();
            await tables.Ingestions.SubmitTransactionAsync([new(TableTransactionActionType.Add, new TableEntity(pk, "ingestion") { ["A"] = "x", ["B"] = 1 })]);
            t["batch1"].Add(w.Elapsed.TotalMilliseconds);
            pk = Guid.NewGuid().ToString("N");
            w.Restart();
            await tables.Ingestions.SubmitTransactionAsync([new(TableTransactionActionType.Add, new TableEntity(pk, "ingestion") { ["A"] = "x", ["B"] = 1 }),
                new(TableTransactionActionType.UpsertReplace, new TableEntity(pk, "m00000") { ["Body"] = body, ["Kind"] = "metrics" })]);
            t["batch2"].Add(w.Elapsed.TotalMilliseconds);
        }

        foreach (var (k, v) in t.Where(x => x.Value.Count > 0))
        {
            Console.WriteLine($"{k}: p50 {Figures.Percentile(v.Skip(50).ToList(), 50):F2} ms");
        }

        return 0;
    }
}
