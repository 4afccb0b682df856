using Azure.Storage.Queues;
using Twine.Functions.Tests.Infrastructure;

namespace Twine.Functions.Tests.Logging;

/// <summary>
/// A test's log capture holds what its own code caused, not what a test running beside it caused: the Azure SDK's log
/// lines come from process-wide EventSources that every test app's forwarder hears.
/// </summary>
public sealed class LogCaptureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Azure_SDK_lines_caused_outside_the_test_are_not_captured_and_its_own_are()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = new TestApp(azurite);
        await app.Store.GetAsync("0193a5b2c3d47e8f9a0b1c2d3e4f5a6b", ct); // resolves the app's Azure clients: its forwarder listens from now on

        var ours = "logcapture-ours-" + Guid.NewGuid().ToString("N")[..12];
        var theirs = "logcapture-theirs-" + Guid.NewGuid().ToString("N")[..12];
        await new QueueClient(azurite.ConnectionString, ours).CreateIfNotExistsAsync(cancellationToken: ct);

        // The same kind of request from a flow that belongs to no test (what a parallel test's request looks like to this one).
        Task other;
        using (ExecutionContext.SuppressFlow())
        {
            other = Task.Run(() => new QueueClient(azurite.ConnectionString, theirs).CreateIfNotExistsAsync(cancellationToken: ct), ct);
        }

        await other;

        var texts = app.Logs.GetSnapshot().Select(r => r.Message).ToList();
        Assert.Contains(texts, t => t.Contains(ours, StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.Contains(theirs, StringComparison.Ordinal));
    }
}
