using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Twine.Functions.Ingestions;

/// <summary>
/// Work the edge does after it answered 202 (the kept message copies, revealing the messages it sent hidden, marking the
/// ingestion accepted, its first history-index row): nothing the partner's answer depends on, so it does not delay the
/// answer. Each piece is safe to lose in a crash (hidden messages reappear on their own, processing moves the ingestion
/// on, a retry by the partner takes it over; see docs/STORAGE.md); the worker waits for what is running when it stops,
/// and tests wait for it with <see cref="WhenIdleAsync"/> instead of sleeping.
/// </summary>
public sealed partial class AcceptFollowUps(ILogger<AcceptFollowUps> logger) : IHostedService
{
    private readonly ConcurrentDictionary<Task, string> _running = new();

    public void Start(string ingestionId, Func<CancellationToken, Task> work)
    {
        // Not the request's token: it is cancelled once the answer is sent, and this runs after the answer.
        var task = Task.Run(() => work(CancellationToken.None));
        _running[task] = ingestionId;
        _ = task.ContinueWith(done =>
        {
            _running.TryRemove(done, out _);
            if (done.Exception is { } e)
            {
                LogFailed(ingestionId, e.InnerException?.GetType().Name ?? e.GetType().Name);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes when every follow-up started so far has finished (successfully or not).</summary>
    public async Task WhenIdleAsync()
    {
        while (!_running.IsEmpty)
        {
            try
            {
                await Task.WhenAll(_running.Keys).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Logged by the continuation; the caller only waits.
            }

            await Task.Yield(); // a finished task leaves the set in its continuation
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => WhenIdleAsync().WaitAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: the work after its 202 failed ({Error}); its messages become visible within 2 minutes on their own and processing moves it on (its status reads as accepted meanwhile)")]
    private partial void LogFailed(string ingestionId, string error);
}
