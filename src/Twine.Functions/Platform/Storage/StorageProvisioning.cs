using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Twine.Functions.Platform.Storage;

/// <summary>Tables or queues a capability needs to exist before it serves a request.</summary>
public interface IStorageResources
{
    /// <summary>Creates what is missing (CreateIfNotExists: one call per table or queue, nothing when it exists).</summary>
    Task CreateAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Creates every registered <see cref="IStorageResources"/> once, when the worker starts, so that no request pays for it
/// (in Azure the templates create them too; on a laptop Azurite starts empty). The first attempt runs before the host
/// finishes starting; if storage does not answer then, the worker still starts (HTTP answers 503 for what needs
/// storage, health says why) and the attempt is repeated with back-off (1 s doubling to 5 min) until it succeeds.
/// </summary>
public sealed partial class StorageProvisioning(IEnumerable<IStorageResources> resources, TimeProvider timeProvider, ILogger<StorageProvisioning> logger)
    : IHostedService, IDisposable
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(5);
    private readonly CancellationTokenSource _stopping = new();
    private Task _retrying = Task.CompletedTask;

    /// <summary>Creates everything now (tests call this; the host calls <see cref="StartAsync"/>).</summary>
    public Task CreateAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(resources.Select(r => r.CreateAsync(cancellationToken)));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await TryCreateAsync(attempt: 1, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        _retrying = RetryAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _retrying.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping: nothing left to create
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        for (var attempt = 2; ; attempt++)
        {
            await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            if (await TryCreateAsync(attempt, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }

    private async Task<bool> TryCreateAsync(int attempt, CancellationToken cancellationToken)
    {
        try
        {
            await CreateAllAsync(cancellationToken).ConfigureAwait(false);
            LogCreated(attempt);
            return true;
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException)
        {
            LogNotCreated(attempt, (ex as RequestFailedException)?.Status ?? 0, ex.GetType().Name);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage tables and queues exist (attempt {Attempt})")]
    private partial void LogCreated(int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage tables and queues could not be created (attempt {Attempt}, status {Status}, {Error}); trying again")]
    private partial void LogNotCreated(int attempt, int status, string error);
}
