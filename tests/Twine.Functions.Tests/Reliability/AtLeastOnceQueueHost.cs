using System.Collections.Concurrent;
using System.Text;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Twine.Functions.Processing;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// What the Functions host's queue extension does with a queue, run against the real Azurite queue: receive a batch
/// with a visibility timeout; hand each message's base64-decoded text and dequeue count to the function; delete it on
/// success; on an exception leave it (its visibility is released, here at once instead of host.json's 30 s, so a test
/// does not wait) and let the queue count the next dequeue; after <see cref="MaxDequeueCount"/> failed dequeues copy it
/// to <c>&lt;queue&gt;-poison</c> and delete it; then run the poison function on the poison queue.
/// </summary>
internal sealed class AtLeastOnceQueueHost(
    string connectionString,
    string queueName,
    Func<string, long, CancellationToken, Task> process,
    Func<string, string, CancellationToken, Task> poison)
{
    private readonly QueueClient _queue = new(connectionString, queueName); // raw text (base64), as the service holds it
    private readonly QueueClient _poison = new(connectionString, queueName + ProcessingQueues.PoisonSuffix);
    private readonly ConcurrentDictionary<string, byte> _deliveredOnce = new();
    private int _deliveries;
    private int _failures;
    private int _poisoned;
    private int _duplicates;
    private int _poisonHandled;

    /// <summary>host.json <c>maxDequeueCount</c>.</summary>
    public int MaxDequeueCount { get; init; } = ProcessingQueues.MaxDequeueCount;

    /// <summary>How long a received message stays invisible (what a crashed instance leaves behind).</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages per receive (host.json batchSize 16); 1 runs messages strictly one after another.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Called before each delivery with its number (1-based, across the run): where a test injects a fault.</summary>
    public Func<int, Task>? BeforeDelivery { get; init; }

    /// <summary>Each message's first successful delivery is not deleted (a lost delete or an expired lease): it comes again.</summary>
    public bool DeliverEveryMessageTwice { get; init; }

    /// <summary>Wait between receives while messages exist but none is visible (only after an instance "crashed").</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(100);

    public int Deliveries => Volatile.Read(ref _deliveries);
    public int Failures => Volatile.Read(ref _failures);
    public int Poisoned => Volatile.Read(ref _poisoned);
    public int DuplicateDeliveries => Volatile.Read(ref _duplicates);
    public int PoisonHandled => Volatile.Read(ref _poisonHandled);
    public ConcurrentQueue<string> FailureKinds { get; } = new();

    /// <summary>What the function threw (the host would log these: their text must carry no patient data either).</summary>
    public ConcurrentQueue<Exception> Exceptions { get; } = new();

    /// <summary>Runs until the queue and its poison queue are empty; throws if that takes more than <paramref name="maxRounds"/> receives.</summary>
    public async Task RunUntilDrainedAsync(int maxRounds = 500, CancellationToken cancellationToken = default)
    {
        for (var round = 0; ; round++)
        {
            if (round == maxRounds)
            {
                throw new InvalidOperationException($"{queueName} was not drained in {maxRounds} receives.");
            }

            QueueMessage[] batch = (await _queue.ReceiveMessagesAsync(BatchSize, VisibilityTimeout, cancellationToken)).Value;
            if (batch.Length == 0)
            {
                if ((await _queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount == 0)
                {
                    break;
                }

                await Task.Delay(IdlePoll, cancellationToken); // invisible messages left by a failed instance: a real-time lease
                continue;
            }

            await Task.WhenAll(batch.Select(m => DeliverAsync(m, cancellationToken)));
        }

        await DrainPoisonAsync(cancellationToken);
    }

    /// <summary>Receives one batch and delivers it (a test stops the storage between receive and delivery).</summary>
    public async Task<QueueMessage[]> ReceiveAsync(CancellationToken cancellationToken = default) =>
        (await _queue.ReceiveMessagesAsync(BatchSize, VisibilityTimeout, cancellationToken)).Value;

    public Task DeliverBatchAsync(IEnumerable<QueueMessage> batch, CancellationToken cancellationToken = default) =>
        Task.WhenAll(batch.Select(m => DeliverAsync(m, cancellationToken)));

    private async Task DeliverAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var delivery = Interlocked.Increment(ref _deliveries);
        if (BeforeDelivery is not null)
        {
            await BeforeDelivery(delivery);
        }

        try
        {
            if (message.DequeueCount > MaxDequeueCount)
            {
                // Dequeued too often without an outcome (instances died holding it): the host poisons it before running it.
                await MoveToPoisonAsync(message, cancellationToken);
                return;
            }

            try
            {
                await process(Decode(message.Body.ToString()), message.DequeueCount, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failures);
                FailureKinds.Enqueue(e is Twine.Client.Errors.TwineApiException twine
                    ? $"{e.GetType().Name} {twine.Kind} {(int?)twine.StatusCode} {twine.ErrorCode}".TrimEnd()
                    : e.GetType().Name);
                Exceptions.Enqueue(e);
                if (message.DequeueCount >= MaxDequeueCount)
                {
                    await MoveToPoisonAsync(message, cancellationToken);
                }
                else
                {
                    await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, message.Body, TimeSpan.Zero, cancellationToken);
                }

                return;
            }

            if (DeliverEveryMessageTwice && _deliveredOnce.TryAdd(message.MessageId, 0))
            {
                Interlocked.Increment(ref _duplicates);
                await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, message.Body, TimeSpan.Zero, cancellationToken);
                return;
            }

            await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 0 or >= 500)
        {
            // The storage itself is down: like the host, the message reappears when its visibility timeout ends.
            FailureKinds.Enqueue("storage unavailable to the host: " + e.Status);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException))
        {
            FailureKinds.Enqueue("storage unreachable by the host");
        }
    }

    private async Task MoveToPoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        await _poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await _poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        Interlocked.Increment(ref _poisoned);
    }

    private async Task DrainPoisonAsync(CancellationToken cancellationToken)
    {
        if (!await _poison.ExistsAsync(cancellationToken))
        {
            return;
        }

        while ((await _poison.ReceiveMessagesAsync(BatchSize, VisibilityTimeout, cancellationToken)).Value is { Length: > 0 } batch)
        {
            foreach (var message in batch)
            {
                await poison(Decode(message.Body.ToString()), message.MessageId, cancellationToken);
                await _poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                Interlocked.Increment(ref _poisonHandled);
            }
        }
    }

    private static string Decode(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));
}
