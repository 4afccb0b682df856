using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Ingestions.Queues;

namespace Twine.Functions.Metrics;

/// <summary>The metrics queue trigger. Binds the queue message (its text decoded from base64 by the host, its dequeue count and id) and hands over.</summary>
public sealed class ProcessMetricsFunction(MetricsMessageProcessor processor)
{
    [Function("ProcessMetrics")]
    public Task Run(
        [QueueTrigger(IngestionQueues.MetricsQueueBinding, Connection = IngestionQueues.Connection)] QueueMessage message,
        CancellationToken cancellationToken) =>
        processor.ProcessAsync(message.MessageText, message.DequeueCount, message.MessageId, cancellationToken);
}
