namespace Twine.Testing;

/// <summary>
/// The real Azurite on free loopback ports with in-memory storage, shared by every test of the assembly. Tests
/// isolate themselves with unique table and queue names, so they can run in parallel.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string AccountName = AzuriteProcess.AccountName;
    public const string AccountKey = AzuriteProcess.AccountKey;

    private readonly AzuriteProcess _azurite = new(onDisk: false);

    public string ConnectionString => _azurite.ConnectionString;
    public int QueuePort => _azurite.QueuePort;
    public int TablePort => _azurite.TablePort;

    public async ValueTask InitializeAsync() => await _azurite.StartAsync();

    public ValueTask DisposeAsync() => _azurite.DisposeAsync();
}
