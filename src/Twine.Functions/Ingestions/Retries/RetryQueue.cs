using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Twine.Functions.Ingestions.Retries;

/// <summary>
/// Puts a rescheduled message back on the queue the trigger reads, hidden for the delay (the queue's visibility
/// timeout; storage allows up to 7 days). The queue client encodes base64, as the trigger expects.
/// </summary>
public interface IRetryQueue
{
    Task<SendReceipt> SendAsync(QueueClient queue, byte[] messageJson, TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>Sends through the app's queue clients (the queues exist from start-up: <see cref="StorageProvisioning"/>).</summary>
public sealed class StorageRetryQueue : IRetryQueue
{
    public async Task<SendReceipt> SendAsync(QueueClient queue, byte[] messageJson, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return (await queue.SendMessageAsync(BinaryData.FromBytes(messageJson), visibilityTimeout: delay, cancellationToken: cancellationToken)
            .ConfigureAwait(false)).Value;
    }
}
