using Microsoft.Extensions.Logging;
using Twine.Client.Models;

using static Twine.Functions.CalendarEvents.CalendarEventOutcomes;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Ingestions.Processing;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Ingestions.Retries;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// One calendar-event queue message (upsert or delete): parse it, skip it when its outcome is recorded, take the
/// externalId's link lease (<see cref="CalendarLinkClaims"/>: superseded when older than the last write, rescheduled
/// while another delivery writes), apply it (<see cref="CalendarEventUpsert"/>, <see cref="CalendarEventDelete"/>)
/// and record the outcome. Transient failures give the lease back and are rescheduled (MessageRetries); Twine's
/// rejections are recorded.
/// </summary>
public sealed partial class CalendarEventMessageProcessor(
    IngestionStore store,
    IngestionQueues queues,
    CalendarLinkClaims claims,
    CalendarEventUpsert upsert,
    CalendarEventDelete delete,
    QueueFailureRecorder failures,
    MessageRetries retries,
    UnattributedMessages unattributed,
    TimeProvider timeProvider,
    ILogger<CalendarEventMessageProcessor> logger)
{
    /// <summary>How long a delivery's lease on a link keeps others waiting (<see cref="CalendarEventLinkStore.Lease"/>).</summary>
    public static readonly TimeSpan ClaimLease = CalendarEventLinkStore.Lease;

    public const string UnknownExternalIdCode = CalendarEventOutcomes.UnknownExternalIdCode;

    public Task ProcessAsync(string messageText, long dequeueCount, CancellationToken cancellationToken) =>
        ProcessAsync(messageText, dequeueCount, null, cancellationToken);

    public async Task ProcessAsync(string messageText, long dequeueCount, string? messageId, CancellationToken cancellationToken)
    {
        var parsed = CalendarEventMessageParser.Parse(messageText, timeProvider.GetUtcNow());
        if (parsed.Message is not { } message)
        {
            if (!await failures.RecordMalformedAsync(IngestionKind.CalendarEvent, messageText, parsed.Errors, cancellationToken).ConfigureAwait(false))
            {
                await unattributed.ParkAsync(IngestionKind.CalendarEvent, messageText, messageId, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        using var scope = ProcessingLogScope.Begin(logger, message.IngestionId, MessageIndex, dequeueCount);
        var processing = new ProcessingMessage(IngestionKind.CalendarEvent, queues.CalendarEvents, message.IngestionId, MessageIndex, 1, 1,
            message.Root, message.Retry);
        try
        {
            await DeliverAsync(message, processing, messageText, dequeueCount, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await retries.HandleAsync(processing, e, dequeueCount, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(CalendarEventQueueMessage message, ProcessingMessage processing, string messageText, long dequeueCount,
        CancellationToken cancellationToken)
    {
        // As the metrics processor: the ingestion row and its outcome read once before Twine, one transaction after.
        var snapshot = await store.ReadSnapshotAsync(message.IngestionId, cancellationToken, MessageIndex).ConfigureAwait(false);
        if (snapshot.StrayReason(message.Root) is { } stray)
        {
            LogStray(message.IngestionId, MessageIndex, stray); // nothing is sent to Twine or recorded: the ingestion's own message is elsewhere
            return;
        }

        if (snapshot.Result(MessageIndex) is { } recorded)
        {
            LogAlreadyRecorded(message.IngestionId);
            await RecordAsync(processing, new MessageOutcome(IngestionKind.CalendarEvent, MessageIndex, 1,
                recorded.MetricCount, recorded.Created, 0, recorded.Failed, [], [], recorded.ReasonIfFailed), snapshot, cancellationToken).ConfigureAwait(false);
            return;
        }

        CalendarEventResource? resource = null;
        if (message.Data is { } data && (resource = CalendarEventDocuments.ToResource(data)) is null)
        {
            IReadOnlyList<ProblemError> problems = [ProblemError.AtPointer("/data", "The calendar_event could not be read or cannot be sent to Twine as JSON.")];
            await failures.RecordMalformedAsync(IngestionKind.CalendarEvent, messageText, problems, cancellationToken).ConfigureAwait(false);
            return;
        }

        retries.EnsureTwineAvailable();
        LogProcessing(message.IngestionId, message.Operation, dequeueCount);
        // Transient failures (Twine, Key Vault, a busy link) propagate to ProcessAsync, where MessageRetries reschedules and logs them.
        var outcome = await claims.AcquireAsync(message, cancellationToken).ConfigureAwait(false) is { } lease
            ? await ApplyAsync(message, resource, lease, cancellationToken).ConfigureAwait(false)
            : Superseded(message);

        await RecordAsync(processing, outcome, snapshot, cancellationToken).ConfigureAwait(false);
        LogRecorded(message.IngestionId, message.Operation, outcome.Created, outcome.Failed);
    }

    private async Task<MessageOutcome> ApplyAsync(CalendarEventQueueMessage message, CalendarEventResource? resource, LinkLease lease,
        CancellationToken cancellationToken)
    {
        try
        {
            return message.Operation == CalendarEventMessageWriter.Delete
                ? await delete.ApplyAsync(message, lease, cancellationToken).ConfigureAwait(false)
                : await upsert.ApplyAsync(message, resource!, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not LinkBusyException)
        {
            // A transient failure: the next delivery need not wait for the lease to run out. The state stays as it was
            // (a claim stays claimed: Twine may have created the event, and the next delivery searches for it).
            await claims.ReleaseQuietlyAsync(lease, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <remarks>An ingestion the edge has not marked accepted yet is moved on by the outcome itself (the message proves it was queued).</remarks>
    private Task RecordAsync(ProcessingMessage processing, MessageOutcome outcome, IngestionSnapshot snapshot, CancellationToken cancellationToken) =>
        store.RecordMessageOutcomeAsync(processing.IngestionId, outcome, cancellationToken, snapshot);

    private MessageOutcome Superseded(CalendarEventQueueMessage message)
    {
        LogSuperseded(message.IngestionId, message.Operation);
        return CalendarEventOutcomes.Superseded();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: {Operation} superseded by a newer write for its externalId; not sent to Twine")]
    private partial void LogSuperseded(string ingestionId, string operation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: processing calendar event {Operation} (attempt {DequeueCount})")]
    private partial void LogProcessing(string ingestionId, string operation, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: calendar event {Operation} recorded: {Succeeded} succeeded, {Failed} failed")]
    private partial void LogRecorded(string ingestionId, string operation, int succeeded, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: the calendar event message was already recorded; Twine not called again")]
    private partial void LogAlreadyRecorded(string ingestionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageIndex} of ingestion {IngestionId} dropped: {Reason}")]
    private partial void LogStray(string ingestionId, int messageIndex, string reason);
}
