namespace Twine.Functions.Platform.Polling;

/// <summary>One run's time budget, measured with the TimeProvider (fake in tests). Checked between pages.</summary>
public sealed class PollBudget(TimeProvider timeProvider, TimeSpan budget)
{
    private readonly long _started = timeProvider.GetTimestamp();

    public bool IsSpent => timeProvider.GetElapsedTime(_started) >= budget;

    public TimeSpan Elapsed => timeProvider.GetElapsedTime(_started);
}
