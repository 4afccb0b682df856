using Twine.Functions.Queues;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Processing.CalendarEvents;

/// <summary>The calendar-events queue trigger. Binds the decoded message and hands over.</summary>
public sealed class ProcessCalendarEventsFunction(CalendarEventMessageProcessor processor)
{
    [Function("ProcessCalendarEvents")]
    public Task Run(
        [QueueTrigger(IngestionQueues.CalendarEventsQueueBinding, Connection = IngestionQueues.Connection)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        processor.ProcessAsync(message, QueueTriggerData.DequeueCount(context), QueueTriggerData.MessageId(context), cancellationToken);
}
