namespace Twine.Functions.Ingestions.Retries;

/// <summary>
/// When a message that met a transient failure runs again: a pure function of the attempt number, a jitter sample,
/// Twine's <c>Retry-After</c> and the give-up age. Delays grow 30 s, 1, 2, 5, 10, 30 min, then hourly, each varied by
/// ±20 % so that messages failed together do not return together; a <c>Retry-After</c> is a floor.
/// </summary>
public static class RetrySchedule
{
    public static readonly IReadOnlyList<TimeSpan> Steps =
    [
        TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1),
        TimeSpan.FromMinutes(2),
        TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1),
    ];

    /// <summary>Each delay is its step times a factor in [1 − Jitter, 1 + Jitter).</summary>
    public const double Jitter = 0.2;

    /// <summary>Azure Storage queues hide a message for at most 7 days.</summary>
    public static readonly TimeSpan MaxVisibilityDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    /// <summary>The smallest delay scheduled (a give-up age reached almost at once still waits this long).</summary>
    public static readonly TimeSpan MinDelay = TimeSpan.FromSeconds(1);

    /// <summary>The step for <paramref name="attempt"/> (1 = the first reschedule), without jitter.</summary>
    public static TimeSpan Step(int attempt) => Steps[Math.Clamp(attempt, 1, Steps.Count) - 1];

    /// <summary>
    /// The delay before attempt <paramref name="attempt"/> runs. <paramref name="jitterSample"/> is in [0, 1) (from a
    /// Random in production, fixed in tests); <paramref name="floor"/> (Retry-After, or how long Twine calls are paused
    /// on this instance) is a lower bound. At most <see cref="MaxVisibilityDelay"/>.
    /// </summary>
    public static TimeSpan Delay(int attempt, double jitterSample, TimeSpan? floor = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        if (jitterSample is < 0 or >= 1 || double.IsNaN(jitterSample))
        {
            throw new ArgumentOutOfRangeException(nameof(jitterSample), "A jitter sample is in [0, 1).");
        }

        var factor = 1 - Jitter + (2 * Jitter * jitterSample);
        var delay = TimeSpan.FromTicks((long)(Step(attempt).Ticks * factor));
        if (floor is { } f && f > delay)
        {
            delay = f;
        }

        return Clamp(delay);
    }

    /// <summary>
    /// What to do with a message whose attempt <paramref name="attempt"/> − 1 just failed transiently: give up when
    /// <paramref name="retryFor"/> has passed since its first failure; otherwise wait <see cref="Delay"/>, cut so that the
    /// last attempt runs at the give-up age (but never before <paramref name="floor"/>).
    /// </summary>
    public static RetryDecision Next(int attempt, DateTimeOffset now, DateTimeOffset firstFailedAt, TimeSpan retryFor, double jitterSample, TimeSpan? floor = null)
    {
        var giveUpAt = firstFailedAt + retryFor;
        if (now >= giveUpAt)
        {
            return RetryDecision.Stop;
        }

        var delay = Delay(attempt, jitterSample, floor);
        var left = giveUpAt - now;
        if (delay > left)
        {
            delay = Clamp(floor is { } f && f > left ? f : left);
        }

        return new RetryDecision(false, delay, now + delay);
    }

    private static TimeSpan Clamp(TimeSpan delay) =>
        delay < MinDelay ? MinDelay : delay > MaxVisibilityDelay ? MaxVisibilityDelay : delay;
}

/// <summary>Give up, or run again after <see cref="Delay"/> (at <see cref="NextAttemptAt"/>).</summary>
public sealed record RetryDecision(bool GiveUp, TimeSpan Delay, DateTimeOffset NextAttemptAt)
{
    public static readonly RetryDecision Stop = new(true, TimeSpan.Zero, default);
}
