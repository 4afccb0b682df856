using Microsoft.Extensions.Azure;
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
    public async Task An_alias_goes_once_it_is_as_old_as_the_retention_and_not_before()
    {
        // A retry with a new webhook-id and the same Idempotency-Key and body: its row becomes an alias of the first ingestion.
        await using var app = App();
        var body = Bodies.Metrics(1);
        var id = (await app.PostMetricsAsync(body, idempotencyKey: "alias-order")).IngestionId;
        await app.Store.RecordMessageOutcomeAsync(id, new MessageOutcome(IngestionKind.Metrics, 0, 1, 1, 1, 0, 0, ["twine-id-1"], []), CancellationToken.None);
        app.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(id, (await app.PostMetricsAsync(body, idempotencyKey: "alias-order")).IngestionId);
        var aliasId = Assert.Single(await app.RowsAsync(app.Names.IngestionsTable), r => r.GetString("AliasOf") is not null).PartitionKey;
        Assert.Single(await app.RowsAsync(app.Names.IngestionIndexTable), r => r.PartitionKey == TableKeys.AliasIndexPartition && r.GetString("IngestionId") == aliasId);

        app.Time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromMinutes(30)); // the ingestion is 30 days and 30 minutes old, the alias 30 minutes younger
        var first = await Runner(app).RunAsync(CancellationToken.None);
        Assert.Equal((1, 0, true), (first.Ingestions, first.Aliases, first.Finished));
        Assert.Equal([aliasId], await PartitionsAsync(app, app.Names.IngestionsTable)); // the alias still answers as before

        app.Time.Advance(TimeSpan.FromHours(1));
        var second = await Runner(app).RunAsync(CancellationToken.None);
        Assert.Equal((0, 1, true), (second.Ingestions, second.Aliases, second.Finished));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionsTable));
        Assert.DoesNotContain(await app.RowsAsync(app.Names.IngestionIndexTable), r => r.PartitionKey == TableKeys.AliasIndexPartition);
        Assert.Equal(1, Assert.Single(await app.RowsAsync(app.Names.IngestionIndexTable), r => r.PartitionKey == "retention" && r.GetInt32("Aliases") == 1).GetInt32("Aliases"));
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

    [Fact]
    public async Task A_run_stopped_mid_page_is_resumed_from_the_index_rows_it_left()
    {
        await using var app = App();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await SettledAsync(app, idempotencyKey: $"order-{i}"));
        }

        // What a run stopped before its page's index rows leaves: the first ingestion entirely gone but its index row;
        // the second with its row, outcome and key gone, its kept message copy not yet.
        var tables = app.Services.GetRequiredService<StorageTables>();
        foreach (var row in await app.RowsAsync(app.Names.IngestionsTable))
        {
            if (row.PartitionKey == ids[0] || (row.PartitionKey == ids[1] && !row.RowKey.StartsWith(TableKeys.KeptMessageRowPrefix, StringComparison.Ordinal)))
            {
                await tables.Ingestions.DeleteEntityAsync(row.PartitionKey, row.RowKey, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        foreach (var row in await app.RowsAsync(app.Names.IngestionKeysTable))
        {
            if (row.GetString("IngestionId") is { } owner && (owner == ids[0] || owner == ids[1]))
            {
                await tables.IngestionKeys.DeleteEntityAsync(row.PartitionKey, row.RowKey, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        app.Time.Advance(TimeSpan.FromDays(31));

        var run = await Runner(app).RunAsync(CancellationToken.None);

        Assert.Equal((3, 1, 2, 1, 0, true), (run.Ingestions, run.Results, run.Messages, run.Keys, run.KeptInFlight, run.Finished));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionsTable));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionMessagesTable));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionKeysTable));
        Assert.All(await app.RowsAsync(app.Names.IngestionIndexTable), r => Assert.Equal("retention", r.PartitionKey));
    }

    [Fact]
    public async Task An_ingestion_written_after_retention_read_it_is_kept_whole()
    {
        // A replay starts between retention's read of the row and its delete: the write lands just before the
        // Ingestions transaction is sent (a pipeline policy), so the row's ETag no longer matches.
        var race = new WriteBeforeFirstBatch();
        await using var app = new TestApp(azurite, settings => settings["Retention:Days"] = "30",
            (services, _) => services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(race, Azure.Core.HttpPipelinePosition.PerCall))));
        var id = await SettledAsync(app);
        app.Time.Advance(TimeSpan.FromDays(31));
        var table = new Azure.Data.Tables.TableClient(app.ConnectionString, app.Names.IngestionsTable);
        race.Write = () =>
        {
            var row = table.GetEntity<IngestionEntity>(id, IngestionPartitionKeys.For(id).Row).Value;
            row.ReplayPendingUntil = app.Time.GetUtcNow().AddHours(1);
            table.UpdateEntity(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace);
        };

        var run = await Runner(app).RunAsync(CancellationToken.None);

        Assert.Equal((0, 1), (run.Ingestions, run.KeptInFlight));
        Assert.Equal(3, (await app.RowsAsync(app.Names.IngestionsTable)).Count(r => r.PartitionKey == id)); // the row, its outcome and its kept copy
        Assert.Single(await app.KeptMessageRowsAsync()); // what the replay sends
        Assert.Single(await app.RowsAsync(app.Names.IngestionIndexTable), r => r.PartitionKey != "retention");

        app.Time.Advance(TimeSpan.FromHours(2)); // the replay's hold expired (nothing was re-queued in this test)
        var next = await Runner(app).RunAsync(CancellationToken.None);

        Assert.Equal((1, 1, 1, 0), (next.Ingestions, next.Results, next.Messages, next.KeptInFlight));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionsTable));
    }

    /// <summary>Runs <see cref="Write"/> once, synchronously, just before the first entity-group transaction is sent.</summary>
    private sealed class WriteBeforeFirstBatch : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        private int _fired;

        public Action? Write { get; set; }

        public override void OnSendingRequest(Azure.Core.HttpMessage message)
        {
            if (Write is not null && message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal) && Interlocked.Exchange(ref _fired, 1) == 0)
            {
                Write();
            }
        }
    }
}
