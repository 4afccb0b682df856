using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions.Queues;

/// <summary>
/// The two work queues, in one place for the HTTP edge (which sends), processing (which reschedules) and the queue
/// triggers (which bind the same names as binding expressions). Created on first use. The <see cref="QueueServiceClient"/>
/// is registered with <c>MessageEncoding = Base64</c>: the Functions queue trigger decodes base64 by default.
/// </summary>
public sealed class IngestionQueues(QueueServiceClient service, IOptions<StorageOptions> options, StorageTables tables) : IStorageResources
{
    /// <summary>
    /// The triggers' queue names as binding expressions: the host resolves <c>%Storage:MetricsQueue%</c> from the app
    /// setting <c>Storage__MetricsQueue</c>, the same setting <see cref="StorageOptions"/> binds, so the edge and the
    /// triggers always name the same queue.
    /// </summary>
    public const string MetricsQueueBinding = "%Storage:MetricsQueue%";
    public const string CalendarEventsQueueBinding = "%Storage:CalendarEventsQueue%";

    /// <summary>The queue extension moves a message that failed <see cref="MaxDequeueCount"/> times to <c>&lt;queue&gt;-poison</c>.</summary>
    public const string PoisonSuffix = "-poison";
    public const string MetricsPoisonQueueBinding = MetricsQueueBinding + PoisonSuffix;
    public const string CalendarEventsPoisonQueueBinding = CalendarEventsQueueBinding + PoisonSuffix;

    /// <summary>The connection setting every trigger names (a connection string, or service URIs for managed identity).</summary>
    public const string Connection = StorageConnectionOptions.SettingName;

    /// <summary>host.json <c>extensions.queues.maxDequeueCount</c> (a test keeps the two equal): quoted in poison reasons.</summary>
    public const int MaxDequeueCount = 5;

    public QueueClient Metrics { get; } = service.GetQueueClient(options.Value.MetricsQueue);
    public QueueClient CalendarEvents { get; } = service.GetQueueClient(options.Value.CalendarEventsQueue);

    /// <summary>The queue an ingestion kind's messages go to.</summary>
    public QueueClient For(IngestionKind kind) => kind == IngestionKind.CalendarEvent ? CalendarEvents : Metrics;

    /// <summary>
    /// The kept copies of an ingestion's messages (Ingestions table, the ingestion's partition, RK
    /// <see cref="IngestionPartitionKeys.Kept"/>): what a replay sends again, until retention deletes the partition. The edge
    /// writes them before it reveals the messages it sent hidden, so a message processing can see has its copy (unless
    /// the edge stopped in between and the message reappeared on its own).
    /// </summary>
    /// <param name="messages">The ingestion's messages as built for it, in message-index order (a calendar event's one message is 0).</param>
    public static IReadOnlyList<TableEntity> KeptCopies(string ingestionId, IngestionKind kind, IReadOnlyList<byte[]> messages)
    {
        var keys = IngestionPartitionKeys.For(ingestionId);
        return [.. messages.Select((message, index) => new TableEntity(ingestionId, keys.Kept(index))
        {
            [nameof(KeptMessageEntity.Kind)] = kind.ToWire(),
            [nameof(KeptMessageEntity.Body)] = message,
        })];
    }

    /// <summary>Sends the messages (UTF-8 JSON) concurrently; throws if any send fails.</summary>
    public Task EnqueueAsync(IngestionKind kind, IEnumerable<byte[]> messages, CancellationToken cancellationToken)
    {
        var queue = For(kind);
        return Task.WhenAll(messages.Select(m => queue.SendMessageAsync(BinaryData.FromBytes(m), cancellationToken: cancellationToken)));
    }

    /// <summary>
    /// How long a message the edge sends beside the ingestion's insert stays invisible unless the edge reveals it (once
    /// the insert is known to have succeeded) or deletes it (when it did not). Longer than the receiving lease, so that a
    /// message whose edge stopped mid-way reappears only once a retry could have taken the ingestion over.
    /// </summary>
    public static readonly TimeSpan HiddenUntilConfirmed = TimeSpan.FromMinutes(2);

    /// <summary>Sends the messages invisible for <see cref="HiddenUntilConfirmed"/>; the receipts reveal or delete them.</summary>
    public async Task<IReadOnlyList<SentMessage>> SendHiddenAsync(IngestionKind kind, IEnumerable<byte[]> messages, CancellationToken cancellationToken)
    {
        var queue = For(kind);
        var receipts = await Task.WhenAll(messages.Select(m =>
            queue.SendMessageAsync(BinaryData.FromBytes(m), HiddenUntilConfirmed, cancellationToken: cancellationToken))).ConfigureAwait(false);
        return [.. receipts.Select(r => new SentMessage(kind, r.Value.MessageId, r.Value.PopReceipt))];
    }

    /// <summary>Makes hidden messages visible to the queue trigger now.</summary>
    public Task RevealAsync(IReadOnlyList<SentMessage> sent, CancellationToken cancellationToken) =>
        Task.WhenAll(sent.Select(m => For(m.Kind).UpdateMessageAsync(m.MessageId, m.PopReceipt, (BinaryData?)null, TimeSpan.Zero, cancellationToken)));

    /// <summary>Deletes hidden messages a request turned out not to need (a repeat, a refusal, a failed insert); a missing one is fine.</summary>
    public async Task DeleteSentAsync(IReadOnlyList<SentMessage> sent, CancellationToken cancellationToken)
    {
        await Task.WhenAll(sent.Select(async m =>
        {
            try
            {
                await For(m.Kind).DeleteMessageAsync(m.MessageId, m.PopReceipt, cancellationToken).ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                // Gone already.
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Writes kept copies: the edge's, after its answer and before it reveals the messages; a take-over's, before it queues them.</summary>
    /// <remarks>Transactions of at most 100 copies or about 2.5 MB of bodies (<see cref="TableBatchWriter"/>).</remarks>
    public Task KeepAsync(IReadOnlyList<TableEntity> copies, CancellationToken cancellationToken) =>
        TableBatchWriter.UpsertAsync(tables.Ingestions, copies, TableTransactionActionType.UpsertReplace, cancellationToken);

    /// <summary>Created at start-up (<see cref="StorageProvisioning"/>); the host creates the <c>-poison</c> queues itself.</summary>
    public Task CreateAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            Metrics.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            CalendarEvents.CreateIfNotExistsAsync(cancellationToken: cancellationToken));
}

/// <summary>A message sent to a work queue, with what it takes to reveal or delete it.</summary>
public sealed record SentMessage(IngestionKind Kind, string MessageId, string PopReceipt);
