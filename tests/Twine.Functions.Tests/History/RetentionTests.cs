using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Retention;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.History;

/// <summary>Retention against Azurite on a fake clock: what goes, what stays (newer, in flight), bounded runs that resume.</summary>
public sealed class RetentionTests(AzuriteFixture azurite)
{
    private TestApp App(int maxPerRun = 1000) => new(azurite, settings =>
    {
        settings["Retention:Days"] = "30";
        settings["Retention:MaxIngestionsPerRun"] = maxPerRun.ToString(System.Globalization.CultureInfo.InvariantCulture);
    });

    private static RetentionRunner Runner(TestApp app) => app.Services.GetRequiredService<RetentionRunner>();

    /// <summary>An ingestion whose one message has its outcome: settled, with a result row, a kept message and its request keys.</summary>
    private static async Task<string> SettledAsync(TestApp app, string? idempotencyKey = null)
    {
        var id = (await app.PostMetricsAsync(Bodies.Metrics(1), idempotencyKey: idempotencyKey)).IngestionId;
        await app.Store.RecordMessageOutcomeAsync(id, new MessageOutcome(IngestionKind.Metrics, 0, 1, 1, 1, 0, 0, ["twine-id-1"], []), CancellationToken.None);
        return id;
    }

    private static async Task<HashSet<string>> PartitionsAsync(TestApp app, string table) =>
        [.. (await app.RowsAsync(table)).Select(r => r.PartitionKey)];

    [Fact]
    public async Task Old_settled_ingestions_go_with_their_results_messages_and_keys_while_newer_and_in_flight_ones_stay()
    {
        await using var app = App();
        var old = await SettledAsync(app, idempotencyKey: "order-1");
        var inFlight = (await app.PostMetricsAsync(Bodies.Metrics(1))).IngestionId; // accepted, never processed
        app.Time.Advance(TimeSpan.FromDays(20));
        var recent = await SettledAsync(app);
        Assert.Single(await app.RowsAsync(app.Names.IngestionKeysTable)); // the Idempotency-Key (a webhook-id is its ingestion's id)
        app.Time.Advance(TimeSpan.FromDays(11));

        var run = await Runner(app).RunAsync(CancellationToken.None);

        Assert.Equal((1, 1, 1, 1, 1, true), (run.Ingestions, run.Results, run.Messages, run.Keys, run.KeptInFlight, run.Finished));
        Assert.Equal(new[] { inFlight, recent }.Order(StringComparer.Ordinal), (await PartitionsAsync(app, app.Names.IngestionsTable)).Order(StringComparer.Ordinal));
        Assert.Equal([recent], (await app.ResultRowsAsync()).Select(r => r.PartitionKey).Distinct());
        Assert.Equal(new[] { inFlight, recent }.Order(StringComparer.Ordinal), (await app.KeptMessageRowsAsync()).Select(r => r.PartitionKey).Order(StringComparer.Ordinal));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionKeysTable));
        var index = await app.RowsAsync(app.Names.IngestionIndexTable);
        Assert.Equal(new[] { inFlight, recent }.Order(StringComparer.Ordinal), index.Where(r => r.PartitionKey != "retention").Select(r => r.GetString("IngestionId")).Order(StringComparer.Ordinal));
        var record = Assert.Single(index, r => r.PartitionKey == "retention");
        Assert.Equal((1, true), (record.GetInt32("Ingestions"), record.GetBoolean("Finished")));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Message.StartsWith("Retention run deleted 1 ingestions", StringComparison.Ordinal));
        (await app.GetStatusAsync(old)).AssertProblem(404);
    }

    [Fact]
    public async Task A_run_is_bounded_and_the_next_run_resumes_where_it_stopped()
    {
        await using var app = App(maxPerRun: 2);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await SettledAsync(app));
            app.Time.Advance(TimeSpan.FromHours(13)); // across three days
        }

        app.Time.Advance(TimeSpan.FromDays(40));

        var runs = new List<RetentionRunResult>();
        do
        {
            runs.Add(await Runner(app).RunAsync(CancellationToken.None));
        }
        while (!runs[^1].Finished && runs.Count < 10);

        Assert.Equal([2, 2, 1], runs.Select(r => r.Ingestions));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionsTable));
        Assert.Empty(await app.ResultRowsAsync());
        Assert.Empty(await app.KeptMessageRowsAsync());
        Assert.Empty(await app.RowsAsync(app.Names.IngestionKeysTable));
        Assert.All(await app.RowsAsync(app.Names.IngestionIndexTable), r => Assert.Equal("retention", r.PartitionKey));
    }

    [Fact]
    public async Task A_request_key_taken_over_by_a_later_request_is_kept()
    {
        await using var app = App();
        var old = await SettledAsync(app, idempotencyKey: "reused-key");
        app.Time.Advance(TimeSpan.FromDays(29)); // past the key's 24 hours: the same key starts a new ingestion
        var newer = await SettledAsync(app, idempotencyKey: "reused-key");
        Assert.NotEqual(old, newer);
        app.Time.Advance(TimeSpan.FromDays(2));

        var run = await Runner(app).RunAsync(CancellationToken.None);

        Assert.Equal((1, 0), (run.Ingestions, run.Keys)); // the Idempotency-Key now names the newer ingestion: it stays
        Assert.All(await app.RowsAsync(app.Names.IngestionKeysTable), r => Assert.Equal(newer, r.GetString("IngestionId")));
    }

    /// <summary>
    /// The figure in docs/PERFORMANCE.md: retention over many settled ingestions (each with its index row, one result,
    /// one kept message and one request key, written straight to the tables), old enough to go. Explicit: run with
    /// <c>--filter-method "*Retention_measured*" --explicit on</c>; <c>TWINE_RETENTION_INGESTIONS</c> sets the count.
    /// Times are printed, never asserted.
    /// </summary>
    [Fact(Explicit = true)]
    public async Task Retention_measured_on_many_ingestions()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("TWINE_RETENTION_INGESTIONS"), out var n) ? n : 10_000;
        await using var app = App(maxPerRun: 1_000_000);
        var tables = app.Services.GetRequiredService<Twine.Functions.Platform.Storage.StorageTables>();
        var seeding = System.Diagnostics.Stopwatch.StartNew();
        var rows = Enumerable.Range(0, count).Select(i =>
        {
            var created = app.Time.GetUtcNow().AddMinutes(-i);
            var id = Guid.CreateVersion7(created).ToString("N");
            var key = Twine.Functions.Platform.Storage.TableKeys.IdempotencyKeyPartition("webhook-id\ntest-partner\n" + id);
            return (Ingestion: new IngestionEntity { PartitionKey = id, Kind = "metrics", Status = "succeeded", MessagesTotal = 1, MessagesDone = 1, Created = 1, WebhookIdKeyHash = key, CreatedAt = created, UpdatedAt = created },
                Key: key);
        }).ToList();
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, ct) =>
        {
            var id = r.Ingestion.PartitionKey;
            await tables.Ingestions.AddEntityAsync(r.Ingestion, ct);
            await tables.Ingestions.AddEntityAsync(new IngestionResultEntity { PartitionKey = id, RowKey = "00000", Created = 1, MetricCount = 1 }, ct);
            await tables.IngestionMessages.AddEntityAsync(new KeptMessageEntity { PartitionKey = id, RowKey = "00000", Kind = "metrics", Body = new byte[600] }, ct);
            await tables.IngestionKeys.AddEntityAsync(new IdempotencyKeyEntity { PartitionKey = r.Key, IngestionId = id, RequestHash = "h" }, ct);
        });
        await Twine.Functions.Platform.Storage.TableBatchWriter.UpsertAsync(tables.IngestionIndex,
            [.. rows.Select(r => { var e = IngestionIndexEntity.From(r.Ingestion); return new Azure.Data.Tables.TableEntity(e.PartitionKey, e.RowKey) { ["IngestionId"] = e.IngestionId, ["Status"] = e.Status, ["Kind"] = e.Kind }; })],
            Azure.Data.Tables.TableTransactionActionType.UpsertReplace, CancellationToken.None);
        seeding.Stop();
        app.Time.Advance(TimeSpan.FromDays(31 + count / 1440));

        var run = System.Diagnostics.Stopwatch.StartNew();
        var result = await Runner(app).RunAsync(CancellationToken.None);
        run.Stop();

        Assert.Equal((count, count, count, count, true), (result.Ingestions, result.Results, result.Messages, result.Keys, result.Finished));
        TestContext.Current.SendDiagnosticMessage(
            $"Retention: {count} ingestions (4 rows each + index) seeded in {seeding.ElapsedMilliseconds} ms; deleted in {run.ElapsedMilliseconds} ms ({count * 1000.0 / run.ElapsedMilliseconds:F0} ingestions/s)");
        await File.AppendAllTextAsync(RepoPaths.BuildOutput("reliability-figures.md"),
            $"| retention | {count} ingestions | deleted in {run.ElapsedMilliseconds} ms | {count * 1000.0 / run.ElapsedMilliseconds:F0} ingestions/s |\n", TestContext.Current.CancellationToken);
    }
}
