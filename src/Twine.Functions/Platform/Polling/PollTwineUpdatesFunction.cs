using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Platform.Polling;

/// <summary>
/// Timer: schedule from the app setting <c>PollTwineUpdates__Schedule</c> (NCRONTAB, default every five minutes; the
/// setting must exist for the binding to resolve). Not run on start-up. The timer trigger runs one instance at a time
/// across the app (a blob lease); checkpoints are ETag-guarded anyway. Hands over to <see cref="TwineUpdatesPoller"/>.
/// </summary>
public sealed class PollTwineUpdatesFunction(TwineUpdatesPoller poller)
{
    [Function("PollTwineUpdates")]
    public Task Run([TimerTrigger("%PollTwineUpdates:Schedule%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        poller.RunAsync(cancellationToken);
}
