using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Ingestions.Queues;

namespace Twine.Functions.Ingestions.Poison;

/// <summary>The two poison-queue triggers (<c>&lt;queue&gt;-poison</c>). Bind and hand over to <see cref="PoisonMessageHandler"/>.</summary>
public sealed class PoisonMessageFunctions(PoisonMessageHandler handler)
{
    [Function("RecordPoisonMetrics")]
    public Task Metrics(
        [QueueTrigger(IngestionQueues.MetricsPoisonQueueBinding, Connection = IngestionQueues.Connection)] QueueMessage message,
        CancellationToken cancellationToken) =>
        handler.HandleMetricsAsync(message.MessageText, message.MessageId, cancellationToken);

    [Function("RecordPoisonCalendarEvents")]
    public Task CalendarEvents(
        [QueueTrigger(IngestionQueues.CalendarEventsPoisonQueueBinding, Connection = IngestionQueues.Connection)] QueueMessage message,
        CancellationToken cancellationToken) =>
        handler.HandleCalendarEventAsync(message.MessageText, message.MessageId, cancellationToken);
}
