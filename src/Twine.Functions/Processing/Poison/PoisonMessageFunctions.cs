using Twine.Functions.Queues;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Processing.Poison;

/// <summary>The two poison-queue triggers (<c>&lt;queue&gt;-poison</c>). Bind and hand over to <see cref="PoisonMessageHandler"/>.</summary>
public sealed class PoisonMessageFunctions(PoisonMessageHandler handler)
{
    [Function("RecordPoisonMetrics")]
    public Task Metrics(
        [QueueTrigger(IngestionQueues.MetricsPoisonQueueBinding, Connection = IngestionQueues.Connection)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        handler.HandleMetricsAsync(message, QueueTriggerData.MessageId(context), cancellationToken);

    [Function("RecordPoisonCalendarEvents")]
    public Task CalendarEvents(
        [QueueTrigger(IngestionQueues.CalendarEventsPoisonQueueBinding, Connection = IngestionQueues.Connection)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        handler.HandleCalendarEventAsync(message, QueueTriggerData.MessageId(context), cancellationToken);
}
