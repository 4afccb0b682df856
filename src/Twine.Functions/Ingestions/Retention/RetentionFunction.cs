using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Ingestions.Retention;

/// <summary>
/// Timer: schedule from the app setting <c>Retention__Schedule</c> (NCRONTAB; the setting must exist for the binding to
/// resolve). One instance at a time across the app (the timer's blob lease). Hands over to <see cref="RetentionRunner"/>.
/// </summary>
public sealed class RetentionFunction(RetentionRunner runner)
{
    [Function("RunRetention")]
    public Task Run([TimerTrigger("%Retention:Schedule%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        runner.RunAsync(cancellationToken);
}
