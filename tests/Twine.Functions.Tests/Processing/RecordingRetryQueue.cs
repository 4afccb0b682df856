using System.Collections.Concurrent;
using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Ingestions.Retries;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// The app's <see cref="StorageRetryQueue"/> (the real send to Azurite, with the real visibility delay), recording each
/// reschedule: its text, delay, when it is due on the app's clock, and the receipt that lets a test driver make the
/// message visible once its (fake) time has come.
/// </summary>
internal sealed class RecordingRetryQueue(TimeProvider clock) : IRetryQueue
{
    private readonly StorageRetryQueue _inner = new();

    public ConcurrentQueue<Rescheduled> Sent { get; } = new();

    public async Task<SendReceipt> SendAsync(QueueClient queue, byte[] messageJson, TimeSpan delay, CancellationToken cancellationToken)
    {
        var receipt = await _inner.SendAsync(queue, messageJson, delay, cancellationToken);
        Sent.Enqueue(new Rescheduled(queue.Name, Encoding.UTF8.GetString(messageJson), delay, clock.GetUtcNow() + delay, receipt));
        return receipt;
    }

    /// <summary>The text of the latest reschedule (what the host would deliver next).</summary>
    public string Last => Sent.Last().Text;
}

internal sealed record Rescheduled(string Queue, string Text, TimeSpan Delay, DateTimeOffset DueAt, SendReceipt Receipt);

internal static class RecordingRetryQueueExtensions
{
    public static RecordingRetryQueue Retries(this TestApp app) =>
        (RecordingRetryQueue)app.Services.GetRequiredService<IRetryQueue>();

    public static void AddRecordingRetryQueue(this IServiceCollection services) =>
        services.AddSingleton<IRetryQueue>(sp => new RecordingRetryQueue(sp.GetRequiredService<TimeProvider>()));
}
