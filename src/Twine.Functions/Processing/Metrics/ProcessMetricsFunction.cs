using Twine.Functions.Queues;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Processing.Metrics;

/// <summary>The metrics queue trigger. Binds the decoded message (base64 → UTF-8 JSON) and hands over.</summary>
public sealed class ProcessMetricsFunction(MetricsMessageProcessor processor)
{
    [Function("ProcessMetrics")]
    public Task Run(
        [QueueTrigger(IngestionQueues.MetricsQueueBinding, Connection = IngestionQueues.Connection)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        processor.ProcessAsync(message, QueueTriggerData.DequeueCount(context), QueueTriggerData.MessageId(context), cancellationToken);
}
