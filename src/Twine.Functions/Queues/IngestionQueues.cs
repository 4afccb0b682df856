using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Twine.Functions.Storage;

namespace Twine.Functions.Queues;

/// <summary>
/// The two work queues, created on first use. The <see cref="QueueServiceClient"/> is registered with
/// <c>MessageEncoding = Base64</c>: the Functions queue trigger decodes base64 by default.
/// </summary>
public sealed class IngestionQueues(QueueServiceClient service, IOptions<StorageOptions> options)
{
    private readonly CreateOnce _created = new();

    public QueueClient Metrics { get; } = service.GetQueueClient(options.Value.MetricsQueue);
    public QueueClient CalendarEvents { get; } = service.GetQueueClient(options.Value.CalendarEventsQueue);

    /// <summary>Sends the messages (UTF-8 JSON) concurrently; throws if any send fails.</summary>
    public async Task SendAsync(QueueClient queue, IEnumerable<byte[]> messages, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(messages.Select(m => queue.SendMessageAsync(BinaryData.FromBytes(m), cancellationToken: cancellationToken)))
            .ConfigureAwait(false);
    }

    public ValueTask EnsureCreatedAsync(CancellationToken cancellationToken) =>
        _created.RunAsync(ct => Task.WhenAll(
            Metrics.CreateIfNotExistsAsync(cancellationToken: ct),
            CalendarEvents.CreateIfNotExistsAsync(cancellationToken: ct)), cancellationToken);
}
