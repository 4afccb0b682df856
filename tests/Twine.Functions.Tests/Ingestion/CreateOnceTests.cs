using Twine.Functions.Platform.Storage;






namespace Twine.Functions.Tests.Ingestion;

public sealed class CreateOnceTests
{
    [Fact]
    public async Task Concurrent_first_callers_share_one_creation()
    {
        var once = new CreateOnce();
        var release = new TaskCompletionSource();
        var calls = 0;
        Task Create(CancellationToken _)
        {
            Interlocked.Increment(ref calls);
            return release.Task;
        }

        var waiting = Enumerable.Range(0, 10).Select(_ => once.RunAsync(Create, CancellationToken.None).AsTask()).ToList();
        release.SetResult();
        await Task.WhenAll(waiting);
        await once.RunAsync(Create, CancellationToken.None);

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_failed_creation_is_tried_again_on_the_next_call()
    {
        var once = new CreateOnce();
        var calls = 0;
        Task Create(CancellationToken _) =>
            Interlocked.Increment(ref calls) == 1 ? Task.FromException(new InvalidOperationException("storage down")) : Task.CompletedTask;

        await Assert.ThrowsAsync<InvalidOperationException>(() => once.RunAsync(Create, CancellationToken.None).AsTask());
        await once.RunAsync(Create, CancellationToken.None);
        await once.RunAsync(Create, CancellationToken.None);

        Assert.Equal(2, calls);
    }
}
