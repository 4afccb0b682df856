using Azure.Data.Tables;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>The key design of docs/STORAGE.md: every lookup the app makes is a point read or one partition query.</summary>
public sealed class StorageDesignTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task An_ingestion_is_one_row_read_by_its_id_with_a_point_read()
    {
        await using var app = new TestApp(azurite);
        var id = (await app.PostMetricsAsync(Bodies.Metrics(150), idempotencyKey: "design-1")).IngestionId;
        await app.Store.RecordMessageOutcomeAsync(id, new MessageOutcome(IngestionKind.Metrics, 1, 2, 50, 50, 0, 0, [], []), CancellationToken.None);

        var row = Assert.Single(await app.IngestionRowsAsync());
        Assert.Equal((id, "i_" + id), (row.PartitionKey, row.RowKey)); // every row key carries the id: no two partitions share one
        Assert.DoesNotContain(nameof(IngestionEntity.Keys), row.Keys); // computed from the keys, never stored
        var ingestions = new TableClient(app.ConnectionString, app.Names.IngestionsTable);
        Assert.True((await ingestions.GetEntityIfExistsAsync<TableEntity>(id, "i_" + id, cancellationToken: TestContext.Current.CancellationToken)).HasValue);

        var result = Assert.Single(await app.ResultRowsAsync());
        Assert.Equal((id, "00001_" + id), (result.PartitionKey, result.RowKey)); // PK = ingestion, RK = message index (then the id)

        // The kept copies of its two queue messages share the partition, after the ingestion row.
        Assert.Equal(["m00000_" + id, "m00001_" + id], (await app.KeptMessageRowsAsync()).Select(r => r.RowKey).Order());

        // One key row, the Idempotency-Key's, hashed with the partner; the webhook-id needs none: the id is derived from it.
        var keyPartition = TableKeys.IdempotencyKeyPartition(new RequestKeys(TestApp.TestPartner, "any", "design-1").IdempotencyKeyKey!);
        var keys = await app.RowsAsync(app.Names.IngestionKeysTable);
        var key = Assert.Single(keys);
        Assert.Equal((keyPartition, "key_" + keyPartition), (key.PartitionKey, key.RowKey));
        Assert.Equal(64, key.PartitionKey.Length);
        Assert.Equal(id, key.GetString("IngestionId"));
    }

    [Fact]
    public async Task An_ingestions_results_are_one_partition_in_message_order()
    {
        await using var app = new TestApp(azurite);
        var id = (await app.PostMetricsAsync(Bodies.Metrics(1000))).IngestionId;
        var other = (await app.PostMetricsAsync(Bodies.Metrics(1))).IngestionId;
        foreach (var i in new[] { 9, 0, 4 })
        {
            await app.Store.RecordMessageOutcomeAsync(id, new MessageOutcome(IngestionKind.Metrics, i, 10, 100, 100, 0, 0, [], []), CancellationToken.None);
        }

        await app.Store.RecordMessageOutcomeAsync(other, new MessageOutcome(IngestionKind.Metrics, 0, 1, 1, 1, 0, 0, [], []), CancellationToken.None);

        var results = await app.Store.GetResultsAsync(id, CancellationToken.None);
        Assert.Equal([0, 4, 9], results.Select(r => r.MessageIndex));
        Assert.All(results, r => Assert.Equal(id, r.PartitionKey));
    }

    [Fact]
    public async Task A_calendar_event_link_is_claimed_once_and_updated_only_with_the_current_etag()
    {
        await using var app = new TestApp(azurite);

        var claimed = await app.Links.TryClaimAsync("ehr-appt-1", "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b", CancellationToken.None);
        var second = await app.Links.TryClaimAsync("ehr-appt-1", "0193a5b2c3d47e8f9a0b1c2d3e4f5a6c", CancellationToken.None);
        var readBack = await app.Links.GetAsync("ehr-appt-1", CancellationToken.None);
        var stale = await app.Links.GetAsync("ehr-appt-1", CancellationToken.None);

        Assert.NotNull(claimed);
        Assert.Null(second); // 409: another delivery holds the claim
        Assert.Equal((CalendarEventLinkStore.Claimed, "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b"), (readBack!.State, readBack.ClaimedByIngestionId));
        Assert.True(await app.Links.TryUpdateAsync(readBack, CalendarEventLinkStore.Linked, "5a0c8e2aa9d454cc1509a142", CancellationToken.None));
        Assert.False(await app.Links.TryUpdateAsync(stale!, CalendarEventLinkStore.Deleted, null, CancellationToken.None)); // 412
        var rows = await app.RowsAsync(app.Names.CalendarEventLinksTable);
        var row = Assert.Single(rows, r => r.RowKey == TableKeys.CalendarEventLinkRow);
        Assert.Equal(("ehr-appt-1", "link", "linked", "5a0c8e2aa9d454cc1509a142"),
            (row.PartitionKey, row.RowKey, row.GetString("State"), row.GetString("TwineId")));

        // Linking also writes the reverse row (Twine id → externalId) the poller reads.
        var reverse = Assert.Single(rows, r => r.RowKey == TableKeys.CalendarEventTwineIdRow);
        Assert.Equal(("5a0c8e2aa9d454cc1509a142", "ehr-appt-1"), (reverse.PartitionKey, reverse.GetString("ExternalId")));
        Assert.Equal(2, rows.Count);
        Assert.Null(await app.Links.GetAsync("never-seen", CancellationToken.None));
    }

    [Fact]
    public async Task Two_concurrent_claims_of_one_externalId_have_one_winner()
    {
        await using var app = new TestApp(azurite);

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            app.Links.TryClaimAsync("race", IngestionId.New(app.Time), CancellationToken.None)));

        Assert.Single(claims, c => c is not null);
    }
}
