using Azure.Data.Tables;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Storage;

/// <summary>The one batch writer, against the real Azurite: transactions within the service's row and size limits.</summary>
public sealed class TableBatchWriterTests(AzuriteFixture azurite)
{
    private async Task<TableClient> NewTableAsync()
    {
        var table = new TableClient(azurite.ConnectionString, "batch" + Guid.NewGuid().ToString("N")[..12]);
        await table.CreateAsync(TestContext.Current.CancellationToken);
        return table;
    }

    private static TableEntity Row(string partition, int i, int bodyBytes) =>
        new(partition, i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)) { ["Body"] = new byte[bodyBytes] };

    [Fact]
    public async Task Small_rows_go_a_hundred_per_transaction_and_partition()
    {
        var table = await NewTableAsync();
        var rows = Enumerable.Range(0, 250).Select(i => Row("a", i, 10)).Concat(Enumerable.Range(0, 5).Select(i => Row("b", i, 10))).ToList();

        var sent = await TableBatchWriter.UpsertAsync(table, rows, TableTransactionActionType.UpsertReplace, TestContext.Current.CancellationToken);

        Assert.Equal(4, sent); // 100 + 100 + 50 of "a", 5 of "b"
        Assert.Equal(255, await table.QueryAsync<TableEntity>(cancellationToken: TestContext.Current.CancellationToken).CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Large_rows_are_split_before_a_transaction_would_pass_the_services_4_MiB()
    {
        var table = await NewTableAsync();
        var rows = Enumerable.Range(0, 100).Select(i => Row("kept", i, 48 * 1024)).ToList(); // 100 queue-message copies: 6.4 MB as base64

        var sent = await TableBatchWriter.UpsertAsync(table, rows, TableTransactionActionType.UpsertReplace, TestContext.Current.CancellationToken);

        Assert.Equal(3, sent);
        Assert.Equal(100, await table.QueryAsync<TableEntity>(cancellationToken: TestContext.Current.CancellationToken).CountAsync(TestContext.Current.CancellationToken));
    }
}
