using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Twine.Functions.Metrics;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// The Functions host's queue trigger for the metrics queue, as host.json configures it, driving the real
/// <see cref="MetricsMessageProcessor"/>: fetch up to <c>batchSize</c> messages, run them concurrently, fetch the
/// next batch when no more than <c>newBatchThreshold</c> are still running (both read from the repository's host.json by
/// <see cref="FromHostJson"/>); delete a message when its run returns,
/// make it visible again after the visibility timeout (30 s) when it throws; when the queue is empty, poll again after a
/// randomised exponential back-off from 100 ms to <c>maxPollingInterval</c> (2 s). One instance; base64 decoded as the
/// trigger decodes it. Its own queue client, so its calls are not counted as the app's.
/// </summary>
public sealed class QueueHostEmulation(QueueClient queue, MetricsMessageProcessor processor, int batchSize, int newBatchThreshold)
{
    /// <summary>With <c>extensions.queues.batchSize</c> and <c>newBatchThreshold</c> as host.json sets them.</summary>
    public static QueueHostEmulation FromHostJson(QueueClient queue, MetricsMessageProcessor processor)
    {
        var queues = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Twine.Testing.RepoPaths.InRepo("host.json")))!["extensions"]!["queues"]!;
        return new QueueHostEmulation(queue, processor, queues["batchSize"]!.GetValue<int>(), queues["newBatchThreshold"]!.GetValue<int>());
    }

    public override string ToString() => $"batch {batchSize}, new batch at {newBatchThreshold}";

    private static readonly TimeSpan MinPolling = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPolling = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(30);
    private int _handled;
    private int _failed;

    /// <summary>Messages the processor ran (rescheduled copies and follow-ups included).</summary>
    public int Handled => Volatile.Read(ref _handled);

    /// <summary>Runs that threw (the host would retry them after the visibility timeout).</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Runs until <paramref name="allDone"/> answers true at a moment the queue is empty and nothing runs.</summary>
    public async Task RunAsync(Func<CancellationToken, Task<bool>> allDone, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        var backoff = TimeSpan.Zero;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count > newBatchThreshold)
            {
                await Task.WhenAny(running);
                continue;
            }

            var messages = (await queue.ReceiveMessagesAsync(batchSize, TimeSpan.FromMinutes(5), cancellationToken)).Value;
            if (messages.Length > 0)
            {
                backoff = TimeSpan.Zero;
                running.AddRange(messages.Select(m => HandleAsync(m, cancellationToken)));
                continue;
            }

            if (running.Count == 0 && await allDone(cancellationToken))
            {
                return;
            }

            backoff = backoff == TimeSpan.Zero ? MinPolling : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxPolling.Ticks));
            var wait = TimeSpan.FromTicks((long)(backoff.Ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
            await Task.WhenAny([Task.Delay(wait, cancellationToken), .. running]);
        }
    }

    private async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Interlocked.Increment(ref _handled);
        try
        {
            await processor.ProcessAsync(message.MessageText, message.DequeueCount, message.MessageId, cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failed);
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: VisibilityTimeout, cancellationToken: cancellationToken);
            return;
        }

        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }
}
