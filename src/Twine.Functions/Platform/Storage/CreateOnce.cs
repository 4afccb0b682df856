namespace Twine.Functions.Platform.Storage;

/// <summary>
/// Runs a creation step (tables, queues) once per process, so that a fresh storage account or Azurite needs no setup
/// step; concurrent first callers wait for the one attempt, and a failed attempt is tried again on the next call.
/// </summary>
public sealed class CreateOnce
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _done;

    public async ValueTask RunAsync(Func<CancellationToken, Task> create, CancellationToken cancellationToken)
    {
        if (_done)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_done)
            {
                await create(cancellationToken).ConfigureAwait(false);
                _done = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
