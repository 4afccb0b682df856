using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Twine.Functions.Tests.Polling;

/// <summary>Moves a fake clock while a poll waits on it (the client's Retry-After delays), until the poll ends.</summary>
internal static class PollingDrive
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <param name="shouldAdvance">
    /// True while the run waits on the clock (e.g. until the retried request has reached the sandbox): the clock stays put
    /// otherwise, so that the client's attempt timeouts cannot fire while a request is merely slow in real time.
    /// </param>
    public static async Task<T> DriveAsync<T>(this FakeTimeProvider time, Task<T> run, TimeSpan step, Func<bool> shouldAdvance)
    {
        var real = Stopwatch.StartNew();
        while (!run.IsCompleted && real.Elapsed < Guard)
        {
            // A moment of real time for the client and the sandbox between steps; ends early when the run does.
            await Task.WhenAny(run, Task.Delay(5, TestContext.Current.CancellationToken));
            if (!run.IsCompleted && shouldAdvance())
            {
                time.Advance(step);
            }
        }

        Assert.True(run.IsCompleted, "the poll did not finish while the fake clock moved");
        return await run;
    }
}
