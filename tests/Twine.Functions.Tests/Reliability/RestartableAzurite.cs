using Twine.Functions.Tests.Infrastructure;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// An Azurite of its own (not the assembly's shared one) that a test can stop and start again: fixed free ports, and
/// its data in a temp folder on disk, so queued messages and table rows survive the restart.
/// </summary>
public sealed class RestartableAzurite : IAsyncLifetime
{
    private readonly AzuriteProcess _azurite = new(onDisk: true);

    public string ConnectionString => _azurite.ConnectionString;
    public int QueuePort => _azurite.QueuePort;
    public int TablePort => _azurite.TablePort;
    public bool Running => _azurite.Running;

    public async ValueTask InitializeAsync() => await _azurite.StartAsync();

    public Task StartAsync() => _azurite.StartAsync();

    /// <summary>Stops Azurite as an operator or a platform restart would (SIGTERM), and waits for it to exit.</summary>
    public Task StopAsync() => _azurite.StopAsync();

    public ValueTask DisposeAsync() => _azurite.DisposeAsync();
}
