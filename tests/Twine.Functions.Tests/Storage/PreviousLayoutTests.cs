using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.History;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Replay;
using Twine.Functions.Ingestions.Retention;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Storage;

/// <summary>
/// Partitions written before every row key carried its ingestion id (RK <c>ingestion</c>, <c>00000</c>, <c>m00000</c>, and
/// <c>key</c> in IngestionKeys) are read, processed, replayed and deleted in their own layout: an upgrade leaves nothing
/// behind and never writes a second row into an old partition.
/// </summary>
public sealed class PreviousLayoutTests : IClassFixture<SandboxFixture>
{
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public PreviousLayoutTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Fact]
    public void Keys_of_the_two_layouts()
    {
        var id = new string('a', 32);
        var current = IngestionPartitionKeys.For(id);
        var previous = IngestionPartitionKeys.OfRow(id, "ingestion");
        Assert.Equal(("i_" + id, "00007_" + id, "m00007_" + id, false), (current.Row, current.Outcome(7), current.Kept(7), current.Legacy));
        Assert.Equal(("ingestion", "00007", "m00007", true), (previous.Row, previous.Outcome(7), previous.Kept(7), previous.Legacy));
        Assert.Equal(current, IngestionPartitionKeys.OfRow(id, current.Row));

        // What the partition queries rely on: outcomes sort before "a", rows of both layouts at or before "ingestion", copies in [m, n).
        Assert.All(new[] { current.Outcome(0), current.Outcome(99999), previous.Outcome(0) }, k => Assert.True(string.CompareOrdinal(k, TableKeys.MessageRowsEnd) < 0));
        Assert.All(new[] { current.Row, previous.Row }, k => Assert.True(string.CompareOrdinal(k, TableKeys.MessageRowsEnd) > 0 && string.CompareOrdinal(k, TableKeys.LegacyIngestionRow) <= 0));
        Assert.All(new[] { current.Kept(0), previous.Kept(99999) }, k => Assert.True(string.CompareOrdinal(k, "m") >= 0 && string.CompareOrdinal(k, "n") < 0));
        Assert.Equal((7, 7, null), (TableKeys.MessageIndexOf(current.Outcome(7)), TableKeys.MessageIndexOf(previous.Outcome(7)), TableKeys.MessageIndexOf(current.Row)));
        Assert.True(TableKeys.IsIngestionRow(current.Row) && TableKeys.IsIngestionRow(previous.Row) && !TableKeys.IsIngestionRow(current.Kept(0)));
    }

    [Fact]
    public async Task An_ingestion_of_the_previous_layout_is_read_processed_replayed_and_deleted_in_its_own_layout()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox, configure: settings => settings["Retention:Days"] = "30");
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(150), idempotencyKey: "previous-layout")).IngestionId;
        var messages = await app.TakeMessagesAsync(app.Names.MetricsQueue);
        await RewriteInPreviousLayoutAsync(app, id);

        Assert.Equal("accepted", (await app.GetStatusAsync(id)).Json["status"]!.GetValue<string>()); // the status read falls back to "ingestion"

        await app.MetricsProcessor().ProcessAsync(messages[0], 1, CancellationToken.None);
        _sandbox.Faults.Add("POST", "/patient_health_metric", FaultKind.ServiceUnavailable);
        await app.MetricsProcessor().ProcessAsync(messages[1], 1, CancellationToken.None);
        await app.PoisonHandler().HandleMetricsAsync(messages[1], "poisoned-message-id", CancellationToken.None);
        _sandbox.Faults.Clear();
        app.Time.Advance(TimeSpan.FromMinutes(10));
        await app.SandboxMetricsAsync();
        Assert.Equal(IngestionStatus.PartlySucceeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
        Assert.Equal(["00000", "00001", "ingestion", "m00000", "m00001"], await RowKeysAsync(app, id)); // no second row, no new-style outcome

        var replay = await app.ExecuteAsync(await app.Services.GetRequiredService<ReplayHandler>().ReplayOneAsync(default, id, HistoryTests.Parse(""), CancellationToken.None));
        Assert.Equal(202, replay.Status);
        await app.MetricsProcessor().ProcessAsync(Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue)), 1, CancellationToken.None);
        Assert.Equal((IngestionStatus.Succeeded, 150), ((await app.Store.GetAsync(id, CancellationToken.None))!.Status, (await app.SandboxMetricsAsync()).Count));
        Assert.Equal(["00000", "00001", "ingestion", "m00000", "m00001"], await RowKeysAsync(app, id));

        app.Time.Advance(TimeSpan.FromDays(31));
        var run = await app.Services.GetRequiredService<RetentionRunner>().RunAsync(CancellationToken.None);
        Assert.Equal((1, 2, 2, 1), (run.Ingestions, run.Results, run.Messages, run.Keys));
        Assert.Empty(await RowKeysAsync(app, id));
        Assert.Empty(await app.RowsAsync(app.Names.IngestionKeysTable)); // the claim with RK "key" too
        (await app.GetStatusAsync(id)).AssertProblem(404);
    }

    private static async Task<List<string>> RowKeysAsync(TestApp app, string id) =>
        [.. (await app.RowsAsync(app.Names.IngestionsTable)).Where(r => r.PartitionKey == id).Select(r => r.RowKey).Order(StringComparer.Ordinal)];

    /// <summary>Moves every row of the ingestion's partition and its Idempotency-Key claim to the keys the previous version wrote.</summary>
    private static async Task RewriteInPreviousLayoutAsync(TestApp app, string id)
    {
        var ingestions = new TableClient(app.ConnectionString, app.Names.IngestionsTable);
        foreach (var row in (await app.RowsAsync(app.Names.IngestionsTable)).Where(r => r.PartitionKey == id))
        {
            var previous = new TableEntity(row) { RowKey = row.RowKey == "i_" + id ? "ingestion" : row.RowKey.Replace("_" + id, "", StringComparison.Ordinal) };
            await ingestions.AddEntityAsync(previous, TestContext.Current.CancellationToken);
            await ingestions.DeleteEntityAsync(row.PartitionKey, row.RowKey, cancellationToken: TestContext.Current.CancellationToken);
        }

        var keys = new TableClient(app.ConnectionString, app.Names.IngestionKeysTable);
        var key = Assert.Single(await app.RowsAsync(app.Names.IngestionKeysTable));
        await keys.AddEntityAsync(new TableEntity(key) { RowKey = "key" }, TestContext.Current.CancellationToken);
        await keys.DeleteEntityAsync(key.PartitionKey, key.RowKey, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["ingestion", "m00000", "m00001"], await RowKeysAsync(app, id));
    }
}
