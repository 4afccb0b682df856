using Microsoft.Extensions.Options;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Ingestions.Retries;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions.Poison;

/// <summary>
/// A message the host moved to <c>&lt;queue&gt;-poison</c> after <see cref="IngestionQueues.MaxDequeueCount"/> failed
/// attempts: the message is recorded as failed with the reason (the same shape as a message given up after retrying).
/// A poison message that names no ingestion is moved to <c>&lt;queue&gt;-unattributed</c> for an operator (logged by its
/// queue message id only, never its content): there is nothing to record it against.
/// </summary>
public sealed class PoisonMessageHandler(QueueFailureRecorder failures, UnattributedMessages unattributed, IOptions<StorageOptions> names)
{
    public Task HandleMetricsAsync(string? messageText, string? messageId, CancellationToken cancellationToken) =>
        HandleAsync(IngestionKind.Metrics, names.Value.MetricsQueue + IngestionQueues.PoisonSuffix, messageText, messageId, cancellationToken);

    public Task HandleCalendarEventAsync(string? messageText, string? messageId, CancellationToken cancellationToken) =>
        HandleAsync(IngestionKind.CalendarEvent, names.Value.CalendarEventsQueue + IngestionQueues.PoisonSuffix, messageText, messageId, cancellationToken);

    private async Task HandleAsync(IngestionKind kind, string poisonQueue, string? messageText, string? messageId, CancellationToken cancellationToken)
    {
        // The poison copy is a new message (its own dequeue count starts again); the original failed MaxDequeueCount times.
        if (!await failures.RecordPoisonAsync(kind, poisonQueue, messageText, IngestionQueues.MaxDequeueCount, cancellationToken).ConfigureAwait(false))
        {
            await unattributed.ParkAsync(kind, messageText, messageId, cancellationToken).ConfigureAwait(false);
        }
    }
}
