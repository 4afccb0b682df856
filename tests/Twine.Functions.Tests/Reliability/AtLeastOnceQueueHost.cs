using System.Collections.Concurrent;
using System.Text;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Time.Testing;
using Twine.Functions.Tests.Processing;
using Twine.Functions.Ingestions.Queues;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// What the Functions host's queue extension does with a queue, run against the real Azurite queue: receive a batch
/// with a visibility timeout; hand each message's base64-decoded text and dequeue count to the function; delete it on
/// success; on an exception leave it (its visibility is released, here at once instead of host.json's 30 s, so a test
/// does not wait) and let the queue count the next dequeue; after <see cref="MaxDequeueCount"/> failed dequeues copy it
/// to <c>&lt;queue&gt;-poison</c> and delete it; then run the poison function on the poison queue.
/// A message the app rescheduled (sent again with a visibility delay, see <see cref="RecordingRetryQueue"/>) is made
/// visible when its time comes on the app's fake clock: when nothing is visible, the clock is moved to the earliest
/// reschedule still hidden and every reschedule due by then is released (Update Message with visibility 0), so hours
/// of back-off pass in milliseconds, with the storage queue itself doing the rest.
/// </summary>
internal sealed class AtLeastOnceQueueHost(
    string connectionString,
    string queueName,
    Func<string, long, CancellationToken, Task> process,
    Func<string, string, CancellationToken, Task> poison)
{
    private readonly QueueClient _queue = new(connectionString, queueName); // raw text (base64), as the service holds it
    private readonly QueueClient _poison = new(connectionString, queueName + IngestionQueues.PoisonSuffix);
    private readonly ConcurrentDictionary<string, byte> _deliveredOnce = new();
    private int _deliveries;
    private int _failures;
    private int _poisoned;
    private int _duplicates;
    private int _poisonHandled;
    private readonly ConcurrentDictionary<string, byte> _released = new(); // reschedules made visible, or received since

    public string QueueName => queueName;

    /// <summary>host.json <c>maxDequeueCount</c>.</summary>
    public int MaxDequeueCount { get; init; } = IngestionQueues.MaxDequeueCount;

    /// <summary>How long a received message stays invisible (what a crashed instance leaves behind).</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages per receive (host.json batchSize 16); 1 runs messages strictly one after another.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Called before each delivery with its number (1-based, across the run): where a test injects a fault.</summary>
    public Func<int, Task>? BeforeDelivery { get; init; }

    /// <summary>
    /// Each message's first successful delivery is not deleted (a lost delete or an expired lease): it comes again.
    /// Applies to the messages the edge queued, not to the app's reschedules of them.
    /// </summary>
    public bool DeliverEveryMessageTwice { get; init; }

    /// <summary>Wait between receives while messages exist but none is visible (only after an instance "crashed").</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The app's reschedules (its retry queue) and clock; null: none expected.</summary>
    public RecordingRetryQueue? Retries { get; init; }

    public FakeTimeProvider? Clock { get; init; }

    /// <summary>Called after the driver moved the clock (e.g. to end a simulated outage).</summary>
    public Func<DateTimeOffset, Task>? ClockMoved { get; init; }

    /// <summary>What the app logged for each reschedule (its last error), for the failure kinds.</summary>
    public Func<IEnumerable<string>>? RescheduleErrors { get; init; }

    public int Deliveries => Volatile.Read(ref _deliveries);

    /// <summary>Deliveries that failed: thrown, or rescheduled after a transient failure.</summary>
    public int Failures => Volatile.Read(ref _failures) + Rescheduled;

    public int Thrown => Volatile.Read(ref _failures);

    public int Rescheduled => Retries?.Sent.Count(r => r.Queue == queueName) ?? 0;
    public int Poisoned => Volatile.Read(ref _poisoned);
    public int DuplicateDeliveries => Volatile.Read(ref _duplicates);
    public int PoisonHandled => Volatile.Read(ref _poisonHandled);
    private readonly ConcurrentQueue<string> _thrownKinds = new();

    /// <summary>What was thrown, and what each reschedule's last error was ("rescheduled: …").</summary>
    public IReadOnlyList<string> FailureKinds =>
        [.. _thrownKinds, .. (RescheduleErrors?.Invoke() ?? []).Select(e => "rescheduled: " + e)];

    /// <summary>What the function threw (the host would log these: their text must carry no patient data either).</summary>
    public ConcurrentQueue<Exception> Exceptions { get; } = new();

    /// <summary>Runs until the queue and its poison queue are empty; throws if that takes more than <paramref name="maxRounds"/> receives.</summary>
    public Task RunUntilDrainedAsync(int maxRounds = 500, CancellationToken cancellationToken = default) =>
        RunTogetherUntilDrainedAsync([this], maxRounds, cancellationToken);

    /// <summary>
    /// Drives several queues of one app as one host would, on one clock: each round delivers a batch of every queue
    /// that has visible messages; when none has, the clock moves to the earliest reschedule and releases what is due.
    /// </summary>
    public static async Task RunTogetherUntilDrainedAsync(IReadOnlyList<AtLeastOnceQueueHost> hosts, int maxRounds = 500, CancellationToken cancellationToken = default)
    {
        for (var round = 0; ; round++)
        {
            if (round == maxRounds)
            {
                throw new InvalidOperationException($"{string.Join(", ", hosts.Select(h => h.QueueName))} not drained in {maxRounds} rounds.");
            }

            var delivered = 0;
            foreach (var host in hosts)
            {
                delivered += await host.DeliverVisibleBatchAsync(cancellationToken);
            }

            if (delivered > 0)
            {
                continue;
            }

            var remaining = 0;
            foreach (var host in hosts)
            {
                remaining += (await host._queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
            }

            if (remaining == 0)
            {
                break;
            }

            if (!await ReleaseDueAsync(hosts, cancellationToken))
            {
                await Task.Delay(hosts[0].IdlePoll, cancellationToken); // invisible messages left by a failed instance: a real-time lease
            }
        }

        foreach (var host in hosts)
        {
            await host.DrainPoisonAsync(cancellationToken);
        }
    }

    private async Task<int> DeliverVisibleBatchAsync(CancellationToken cancellationToken)
    {
        QueueMessage[] batch = (await _queue.ReceiveMessagesAsync(BatchSize, VisibilityTimeout, cancellationToken)).Value;
        await Task.WhenAll(batch.Select(m => DeliverAsync(m, cancellationToken)));
        return batch.Length;
    }

    private List<Rescheduled> Pending() =>
        Retries is null ? [] : [.. Retries.Sent.Where(r => r.Queue == queueName && !_released.ContainsKey(r.Receipt.MessageId))];

    /// <summary>
    /// Nothing visible: moves the fake clock to the earliest reschedule not yet released and makes every reschedule due
    /// by then visible. False when there is none (the invisible messages are leases of a "crashed" instance).
    /// </summary>
    private static async Task<bool> ReleaseDueAsync(IReadOnlyList<AtLeastOnceQueueHost> hosts, CancellationToken cancellationToken)
    {
        var pending = hosts.SelectMany(h => h.Pending().Select(r => (Host: h, Reschedule: r))).ToList();
        var clock = hosts[0].Clock;
        if (pending.Count == 0 || clock is null)
        {
            return false;
        }

        var next = pending.Min(p => p.Reschedule.DueAt);
        if (next > clock.GetUtcNow())
        {
            clock.SetUtcNow(next);
            foreach (var moved in hosts.Select(h => h.ClockMoved).OfType<Func<DateTimeOffset, Task>>().Distinct())
            {
                await moved(next);
            }
        }

        foreach (var (host, due) in pending.Where(p => p.Reschedule.DueAt <= clock.GetUtcNow()))
        {
            host._released.TryAdd(due.Receipt.MessageId, 0);
            try
            {
                await host._queue.UpdateMessageAsync(due.Receipt.MessageId, due.Receipt.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 400 or 404)
            {
                // Already visible by itself (its real delay passed) and received since: nothing to release.
            }
        }

        return true;
    }

    /// <summary>Receives one batch and delivers it (a test stops the storage between receive and delivery).</summary>
    public async Task<QueueMessage[]> ReceiveAsync(CancellationToken cancellationToken = default) =>
        (await _queue.ReceiveMessagesAsync(BatchSize, VisibilityTimeout, cancellationToken)).Value;

    public Task DeliverBatchAsync(IEnumerable<QueueMessage> batch, CancellationToken cancellationToken = default) =>
        Task.WhenAll(batch.Select(m => DeliverAsync(m, cancellationToken)));

    private async Task DeliverAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var delivery = Interlocked.Increment(ref _deliveries);
        _released.TryAdd(message.MessageId, 0); // a reschedule whose real delay passed on a slow run: no longer waiting
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

            var text = Decode(message.Body.ToString());
            try
            {
                await process(text, message.DequeueCount, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failures);
                _thrownKinds.Enqueue(e is Twine.Client.Errors.TwineApiException twine
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

            // Messages as the edge queued them (not the app's reschedules, or the copies would double at every reschedule).
            if (DeliverEveryMessageTwice && !text.Contains("\"attempt\":", StringComparison.Ordinal) && _deliveredOnce.TryAdd(message.MessageId, 0))
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
            _thrownKinds.Enqueue("storage unavailable to the host: " + e.Status);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException))
        {
            _thrownKinds.Enqueue("storage unreachable by the host");
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
