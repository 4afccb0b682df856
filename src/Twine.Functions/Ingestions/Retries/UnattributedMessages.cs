using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions.Retries;

/// <summary>
/// A message that names no valid ingestion has nothing to record its failure against: instead of dropping it, it is
/// moved to <c>&lt;queue&gt;-unattributed</c> (no trigger reads it), where an operator finds it. Logged by queue
/// message id and counts only, never its content.
/// </summary>
public sealed partial class UnattributedMessages(QueueServiceClient queues, IOptions<StorageOptions> names, ILogger<UnattributedMessages> logger)
{
    public const string Suffix = "-unattributed";

    public string QueueName(IngestionKind kind) =>
        (kind == IngestionKind.Metrics ? names.Value.MetricsQueue : names.Value.CalendarEventsQueue) + Suffix;

    public async Task ParkAsync(IngestionKind kind, string? messageText, string? messageId, CancellationToken cancellationToken)
    {
        var queue = queues.GetQueueClient(QueueName(kind));
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await queue.SendMessageAsync(BinaryData.FromString(messageText ?? ""), cancellationToken: cancellationToken).ConfigureAwait(false);
        LogParked(kind.ToWire(), messageId, queue.Name);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Kind} queue message ({MessageId}) names no valid ingestion: moved to {Queue} for an operator")]
    private partial void LogParked(string kind, string? messageId, string queue);
}
