using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Functions.Ingestion;
using Twine.Functions.Ingestion.Failures;
using Twine.Functions.Storage;

namespace Twine.Functions.Processing.Poison;

/// <summary>
/// A message the host moved to <c>&lt;queue&gt;-poison</c> after <see cref="ProcessingQueues.MaxDequeueCount"/> failed
/// attempts: its ingestion is marked failed with the reason. A poison message that names no ingestion is logged by its
/// queue message id only (never its content) and dropped: there is nothing to record it against.
/// </summary>
public sealed partial class PoisonMessageHandler(QueueFailureRecorder failures, IOptions<StorageOptions> names, ILogger<PoisonMessageHandler> logger)
{
    public Task HandleMetricsAsync(string? messageText, string? messageId, CancellationToken cancellationToken) =>
        HandleAsync(IngestionKind.Metrics, names.Value.MetricsQueue + ProcessingQueues.PoisonSuffix, messageText, messageId, cancellationToken);

    public Task HandleCalendarEventAsync(string? messageText, string? messageId, CancellationToken cancellationToken) =>
        HandleAsync(IngestionKind.CalendarEvent, names.Value.CalendarEventsQueue + ProcessingQueues.PoisonSuffix, messageText, messageId, cancellationToken);

    private async Task HandleAsync(IngestionKind kind, string poisonQueue, string? messageText, string? messageId, CancellationToken cancellationToken)
    {
        // The poison copy is a new message (its own dequeue count starts again); the original failed MaxDequeueCount times.
        if (!await failures.RecordPoisonAsync(kind, poisonQueue, messageText, ProcessingQueues.MaxDequeueCount, cancellationToken).ConfigureAwait(false))
        {
            LogDropped(poisonQueue, messageId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Poison message {MessageId} on {PoisonQueue} names no ingestion; dropped")]
    private partial void LogDropped(string poisonQueue, string? messageId);
}
