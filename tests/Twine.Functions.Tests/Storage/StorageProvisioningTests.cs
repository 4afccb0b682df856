using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Storage;

/// <summary>Tables and queues are created once when the worker starts, not by the requests that need them.</summary>
public sealed class StorageProvisioningTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Starting_the_app_creates_every_table_and_queue()
    {
        await using var app = new TestApp(azurite);
        var tables = app.Services.GetRequiredService<StorageTables>();
        var polling = app.Services.GetRequiredService<PollingTables>();
        var queues = app.Services.GetRequiredService<IngestionQueues>();

        foreach (var table in new[] { tables.Ingestions, tables.CalendarEventLinks, tables.IngestionKeys, polling.EmailHistory, polling.CalendarEvents, polling.Checkpoints })
        {
            // A query on a missing table answers 404; a page (empty here) means the table is there.
            await foreach (var _ in table.QueryAsync<TableEntity>(maxPerPage: 1, cancellationToken: Ct).AsPages().WithCancellation(Ct))
            {
                break;
            }
        }

        Assert.True((await queues.Metrics.ExistsAsync(Ct)).Value);
        Assert.True((await queues.CalendarEvents.ExistsAsync(Ct)).Value);

        // The hosted service is what the Functions host starts.
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is StorageProvisioning);
    }

    [Fact]
    public async Task Storage_not_answering_at_start_does_not_stop_the_worker_and_is_tried_again_with_back_off()
    {
        var time = new TimerRecordingTimeProvider(TestApp.Start);
        var resources = new FailingResources(failures: 2);
        using var provisioning = new StorageProvisioning([resources], time, NullLogger<StorageProvisioning>.Instance);

        await provisioning.StartAsync(Ct); // the first attempt fails: logged, not thrown
        Assert.Equal(1, resources.Calls);

        Assert.Equal(TimeSpan.FromSeconds(1), await time.NextTimerAsync(Ct));
        time.Advance(TimeSpan.FromSeconds(1));
        await resources.WaitForCallAsync(2, Ct);

        Assert.Equal(TimeSpan.FromSeconds(2), await time.NextTimerAsync(Ct)); // doubled
        time.Advance(TimeSpan.FromSeconds(2));
        await resources.WaitForCallAsync(3, Ct); // succeeds

        await provisioning.StopAsync(Ct);
        Assert.Equal(3, resources.Calls);
        Assert.Equal(0, time.UntakenTimers); // no retry after the success
    }

    [Fact]
    public async Task Stopping_the_worker_ends_the_retries()
    {
        var time = new TimerRecordingTimeProvider(TestApp.Start);
        var resources = new FailingResources(failures: int.MaxValue);
        using var provisioning = new StorageProvisioning([resources], time, NullLogger<StorageProvisioning>.Instance);

        await provisioning.StartAsync(Ct);
        await time.NextTimerAsync(Ct);
        await provisioning.StopAsync(Ct);

        Assert.Equal(1, resources.Calls);
    }

    private sealed class FailingResources(int failures) : IStorageResources
    {
        private readonly Channel<int> _calls = Channel.CreateUnbounded<int>();
        private int _count;

        public int Calls => Volatile.Read(ref _count);

        public Task CreateAsync(CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _count);
            _calls.Writer.TryWrite(n);
            return n <= failures ? Task.FromException(new RequestFailedException(503, "storage not answering")) : Task.CompletedTask;
        }

        public async Task WaitForCallAsync(int n, CancellationToken cancellationToken)
        {
            while (await _calls.Reader.ReadAsync(cancellationToken) < n)
            {
            }
        }
    }

    /// <summary>A fake clock that says when a timer (a Task.Delay) is created on it and for how long.</summary>
    private sealed class TimerRecordingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

        /// <summary>Timers created and not yet taken by <see cref="NextTimerAsync"/>.</summary>
        public int UntakenTimers => _timers.Reader.Count;

        public ValueTask<TimeSpan> NextTimerAsync(CancellationToken cancellationToken) => _timers.Reader.ReadAsync(cancellationToken);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _timers.Writer.TryWrite(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
