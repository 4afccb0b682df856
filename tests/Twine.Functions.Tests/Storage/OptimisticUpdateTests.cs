using Azure;
using Azure.Data.Tables;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Storage;

/// <summary>The one bounded read-change-write loop (docs/STORAGE.md), against the real Azurite.</summary>
public sealed class OptimisticUpdateTests(AzuriteFixture azurite)
{
    private const string Pk = "row";
    private const string Rk = "only";

    [Fact]
    public async Task Concurrent_writers_on_one_row_all_land()
    {
        var table = await NewTableAsync();
        const int writers = 8, incrementsEach = 5;
        var changes = 0;

        // No row yet: the first writers race on the insert (409), then on replaces (412). Each lost attempt is some
        // other writer's successful write, so no writer needs more than writers * incrementsEach attempts (< 50).
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < incrementsEach; i++)
            {
                await OptimisticUpdate.RunAsync<TableEntity, int>(table, Pk, Rk, row =>
                {
                    Interlocked.Increment(ref changes);
                    var count = (row?.GetInt32("Count") ?? 0) + 1;
                    return OptimisticChange<TableEntity, int>.Put(new TableEntity(Pk, Rk) { ["Count"] = count }, count);
                }, TestContext.Current.CancellationToken);
            }
        })));

        var stored = await table.GetEntityAsync<TableEntity>(Pk, Rk, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(writers * incrementsEach, stored.Value.GetInt32("Count"));
        Assert.True(changes >= writers * incrementsEach);
    }

    [Fact]
    public async Task The_bound_is_reached_and_reported_with_the_table_name()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity(Pk, Rk) { ["Count"] = 0 }, TestContext.Current.CancellationToken);
        var changes = 0;

        // Every attempt meets a concurrent write: another writer changes the row between this one's read and write.
        var thrown = await Assert.ThrowsAsync<OptimisticUpdateException>(() => OptimisticUpdate.RunAsync<TableEntity, int>(table, Pk, Rk,
            async (row, ct) =>
            {
                changes++;
                await table.UpdateEntityAsync(new TableEntity(Pk, Rk) { ["Other"] = changes }, ETag.All, TableUpdateMode.Merge, ct);
                return OptimisticChange<TableEntity, int>.Put(new TableEntity(Pk, Rk) { ["Count"] = 1 }, 1);
            }, TestContext.Current.CancellationToken, maxAttempts: 3));

        Assert.Equal(3, changes);
        Assert.Equal((table.Name, Pk, Rk, 3), (thrown.TableName, thrown.PartitionKey, thrown.RowKey, thrown.Attempts));
        Assert.Contains(table.Name, thrown.Message, StringComparison.Ordinal);
        Assert.Contains("gave up", thrown.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<InvalidOperationException>(thrown);
        var stored = await table.GetEntityAsync<TableEntity>(Pk, Rk, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, stored.Value.GetInt32("Count"));
    }

    [Fact]
    public async Task A_declined_change_writes_nothing()
    {
        var table = await NewTableAsync();

        // No row: declining creates none.
        var result = await OptimisticUpdate.RunAsync<TableEntity, string>(table, Pk, Rk,
            row => OptimisticChange<TableEntity, string>.Decline(row is null ? "no row" : "row"), TestContext.Current.CancellationToken);
        Assert.Equal("no row", result);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>(Pk, Rk, cancellationToken: TestContext.Current.CancellationToken)).HasValue);

        // A row: declining leaves it as it was, ETag included.
        var added = await table.AddEntityAsync(new TableEntity(Pk, Rk) { ["Count"] = 7 }, TestContext.Current.CancellationToken);
        var seen = await OptimisticUpdate.RunAsync<TableEntity, int?>(table, Pk, Rk,
            row => OptimisticChange<TableEntity, int?>.Decline(row?.GetInt32("Count")), TestContext.Current.CancellationToken);
        Assert.Equal(7, seen);
        var stored = await table.GetEntityAsync<TableEntity>(Pk, Rk, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(added.Headers.ETag, stored.Value.ETag);
        Assert.Equal(7, stored.Value.GetInt32("Count"));
    }

    [Fact]
    public async Task A_stale_known_row_is_read_again_and_the_change_decides_on_the_fresh_one()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity(Pk, Rk) { ["Count"] = 1 }, TestContext.Current.CancellationToken);
        var stale = (await table.GetEntityAsync<TableEntity>(Pk, Rk, cancellationToken: TestContext.Current.CancellationToken)).Value;
        await table.UpdateEntityAsync(new TableEntity(Pk, Rk) { ["Count"] = 5 }, ETag.All, TableUpdateMode.Replace, TestContext.Current.CancellationToken);
        var seen = new List<int?>();

        var written = await OptimisticUpdate.RunAsync<TableEntity, TableEntity>(table, Pk, Rk, row =>
        {
            seen.Add(row?.GetInt32("Count"));
            var next = new TableEntity(Pk, Rk) { ["Count"] = (row?.GetInt32("Count") ?? 0) + 1 };
            return OptimisticChange<TableEntity, TableEntity>.Put(next, next);
        }, TestContext.Current.CancellationToken, known: new KnownRow<TableEntity>(stale));

        Assert.Equal([1, 5], seen); // the known row first (no read), then the fresh read after the 412
        var stored = (await table.GetEntityAsync<TableEntity>(Pk, Rk, cancellationToken: TestContext.Current.CancellationToken)).Value;
        Assert.Equal(6, stored.GetInt32("Count"));
        Assert.Equal(stored.ETag, written.ETag); // the written row carries its new ETag
    }

    [Fact]
    public async Task Merge_mode_keeps_the_columns_the_change_does_not_write()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity(Pk, Rk) { ["Count"] = 1, ["Kept"] = "yes" }, TestContext.Current.CancellationToken);

        await OptimisticUpdate.RunAsync<TableEntity, bool>(table, Pk, Rk,
            row => OptimisticChange<TableEntity, bool>.Put(new TableEntity(Pk, Rk) { ["Count"] = 2 }, true),
            TestContext.Current.CancellationToken, TableUpdateMode.Merge);

        var stored = (await table.GetEntityAsync<TableEntity>(Pk, Rk, cancellationToken: TestContext.Current.CancellationToken)).Value;
        Assert.Equal((2, "yes"), (stored.GetInt32("Count"), stored.GetString("Kept")));
    }

    private async Task<TableClient> NewTableAsync()
    {
        var table = new TableClient(azurite.ConnectionString, "optimistic" + Guid.NewGuid().ToString("N"));
        await table.CreateIfNotExistsAsync(TestContext.Current.CancellationToken);
        return table;
    }
}
