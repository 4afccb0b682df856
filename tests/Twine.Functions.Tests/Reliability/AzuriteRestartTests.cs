using System.Text;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// The storage account (Azurite, its data on disk) stopped and started again in the middle of a run: queued messages
/// survive; a delivery while it is down fails with the storage error and is retried; after the restart processing
/// completes and every metric is in Twine once.
/// </summary>
public sealed class AzuriteRestartTests : IClassFixture<SandboxFixture>, IClassFixture<RestartableAzurite>
{
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;
    private readonly RestartableAzurite _storage;

    public AzuriteRestartTests(AzuriteFixture azurite, SandboxFixture sandbox, RestartableAzurite storage)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
        _storage = storage;
    }

    [Fact]
    public async Task Azurite_stopped_and_restarted_mid_run()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = ReliabilityApp.Create(_azurite, _sandbox, connectionString: _storage.ConnectionString);
        var run = await FaultRun.IngestAsync(app, _sandbox, connectionString: _storage.ConnectionString);
        var host = new AtLeastOnceQueueHost(_storage.ConnectionString, app.Names.MetricsQueue,
            (text, dequeueCount, token) => app.MetricsProcessor().ProcessAsync(text, dequeueCount, token),
            (text, id, token) => app.PoisonHandler().HandleMetricsAsync(text, id, token))
        {
            BatchSize = 2,
            VisibilityTimeout = TimeSpan.FromSeconds(3), // what a message leased by a failed delivery waits before it is seen again
            Retries = app.Retries(), // a slow machine may time out a Twine call: the message is then rescheduled
            Clock = app.Time,
            RescheduleErrors = () => app.RescheduleErrors(app.Names.MetricsQueue),
        };

        await host.DeliverBatchAsync(await host.ReceiveAsync(ct), ct); // two messages done
        var leased = await host.ReceiveAsync(ct);                     // two more taken, then the storage goes away
        Assert.Equal(2, leased.Length);
        var queued = await ReliabilityApp.QueueCountAsync(_storage.ConnectionString, app.Names.MetricsQueue);
        await _storage.StopAsync();

        var thrown = await Record.ExceptionAsync(() => app.MetricsProcessor().ProcessAsync(
            Encoding.UTF8.GetString(Convert.FromBase64String(leased[0].Body.ToString())), leased[0].DequeueCount, ct));
        await host.DeliverBatchAsync(leased, ct); // fails like the host would: processing throws, the release cannot be written

        await _storage.StartAsync();
        Assert.Equal(queued, await ReliabilityApp.QueueCountAsync(_storage.ConnectionString, app.Names.MetricsQueue)); // the queued messages survived
        await host.RunUntilDrainedAsync(cancellationToken: ct);

        Assert.NotNull(thrown); // the processor's storage failure is thrown, so the host retries the message
        Assert.True(host.Failures >= 2, string.Join(", ", host.FailureKinds));
        await run.AssertEveryMetricInTwineOnceAsync(host, "Azurite stopped and restarted",
            $"own Azurite with `--location` on disk; SIGTERM after 2 of {run.Messages} messages (2 more leased), deliveries fail, Azurite started again; " +
            $"processor threw `{thrown!.GetType().Name}`");
    }
}
