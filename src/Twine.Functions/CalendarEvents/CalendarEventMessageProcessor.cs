using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Serialization;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Ingestions.Processing;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Ingestions.Retries;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// One calendar-event queue message (upsert or delete). Twine's create is not safe to repeat, so an upsert claims the
/// externalId's link row with a conditional insert before creating, records Twine's id with the claim's ETag, and on a
/// redelivery that finds the claim without an id looks for the event the earlier attempt may have created before
/// creating another. A delete marks the link "deleting" first, so a redelivery can tell "already deleted" from
/// "someone deleted it in Twine". Transient failures are rescheduled (MessageRetries); Twine's rejections are recorded; writes older than the last one applied for the externalId are superseded.
/// </summary>
public sealed partial class CalendarEventMessageProcessor(
    ITwineClient twine,
    IngestionStore store,
    IngestionQueues queues,
    CalendarEventLinkStore links,
    CreatedEventFinder finder,
    QueueFailureRecorder failures,
    MessageRetries retries,
    UnattributedMessages unattributed,
    TimeProvider timeProvider,
    ILogger<CalendarEventMessageProcessor> logger)
{
    /// <summary>Calendar ingestions are one message: index 0 of 1.</summary>
    private const int MessageIndex = 0;

    /// <summary>
    /// How long another ingestion's unfinished claim (or delete) is waited for (rescheduled) before this message takes
    /// the link over. About the first two steps of the retry schedule (30 s, 1 min).
    /// </summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(1);

    public const string UnknownExternalIdCode = "UnknownExternalId";

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
        if (await store.GetResultAsync(message.IngestionId, MessageIndex, cancellationToken).ConfigureAwait(false) is { } recorded)
        {
            LogAlreadyRecorded(message.IngestionId);
            await RecordAsync(processing, new MessageOutcome(IngestionKind.CalendarEvent, MessageIndex, 1,
                recorded.MetricCount, recorded.Created, 0, recorded.Failed, [], [], recorded.ReasonIfFailed), cancellationToken).ConfigureAwait(false);
            return;
        }

        CalendarEventResource? resource = null;
        if (message.Data is { } data && (resource = ToResource(data)) is null)
        {
            IReadOnlyList<ProblemError> problems = [ProblemError.AtPointer("/data", "The calendar_event could not be read or cannot be sent to Twine as JSON.")];
            await failures.RecordMalformedAsync(IngestionKind.CalendarEvent, messageText, problems, cancellationToken).ConfigureAwait(false);
            return;
        }

        retries.EnsureTwineAvailable();
        await store.MarkProcessingAsync(message.IngestionId, cancellationToken).ConfigureAwait(false);
        LogProcessing(message.IngestionId, message.Operation, dequeueCount);
        // Transient failures (Twine, Key Vault, a busy link) propagate to ProcessAsync, where MessageRetries reschedules and logs them.
        var link = await links.GetAsync(message.ExternalId, cancellationToken).ConfigureAwait(false);
        var outcome = message.Order?.IsOlderThan(link?.LastOrder) == true
            ? Superseded(message)
            : message.Operation == CalendarEventMessageWriter.Delete
                ? await DeleteAsync(message, link, cancellationToken).ConfigureAwait(false)
                : await UpsertAsync(message, resource!, link, cancellationToken).ConfigureAwait(false);

        await RecordAsync(processing, outcome, cancellationToken).ConfigureAwait(false);
        LogRecorded(message.IngestionId, message.Operation, outcome.Created, outcome.Failed);
    }

    private async Task RecordAsync(ProcessingMessage processing, MessageOutcome outcome, CancellationToken cancellationToken)
    {
        if (await store.RecordMessageOutcomeAsync(processing.IngestionId, outcome, cancellationToken).ConfigureAwait(false) == IngestionStatus.Receiving)
        {
            await retries.FollowUpAsync(processing, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MessageOutcome> UpsertAsync(CalendarEventQueueMessage message, CalendarEventResource resource, CalendarEventLinkEntity? link,
        CancellationToken cancellationToken)
    {
        if (link is null)
        {
            var claim = await links.TryClaimAsync(message.ExternalId, message.IngestionId, cancellationToken, message.Order).ConfigureAwait(false)
                ?? throw new LinkBusyException(message.IngestionId, "was claimed by another delivery at the same moment");
            return await CreateAndLinkAsync(message, resource, claim, cancellationToken).ConfigureAwait(false);
        }

        switch (link.State)
        {
            case CalendarEventLinkStore.Linked when link.TwineId is { } twineId:
                await StampOrderAsync(message, link, cancellationToken).ConfigureAwait(false);
                return await UpdateAsync(message, resource, twineId, cancellationToken).ConfigureAwait(false);

            case CalendarEventLinkStore.Deleting when link.TwineId is not null && !LeaseOver(link):
                throw new LinkBusyException(message.IngestionId, "is being deleted");

            case CalendarEventLinkStore.Deleting when link.TwineId is { } twineId:
                // A delete that never finished: the event may still exist, so this PUT updates it.
                await StampOrderAsync(message, link, cancellationToken).ConfigureAwait(false);
                return await UpdateAsync(message, resource, twineId, cancellationToken).ConfigureAwait(false);

            case CalendarEventLinkStore.Claimed:
                // An earlier attempt claimed the link and may have created the event before stopping: find it first.
                if (await finder.FindAsync(resource, link.ClaimedAt, cancellationToken).ConfigureAwait(false) is { Id: { } foundId })
                {
                    if (!await links.TryUpdateAsync(link, CalendarEventLinkStore.Linked, foundId, cancellationToken, message.Order).ConfigureAwait(false))
                    {
                        throw new LinkBusyException(message.IngestionId, "changed while the created event was adopted");
                    }

                    LogAdopted(message.IngestionId, foundId);
                    return link.ClaimedByIngestionId == message.IngestionId
                        ? Succeeded(foundId)
                        : await UpdateAsync(message, resource, foundId, cancellationToken).ConfigureAwait(false);
                }

                if (link.ClaimedByIngestionId != message.IngestionId && !LeaseOver(link))
                {
                    throw new LinkBusyException(message.IngestionId, "is claimed by another ingestion whose create may still be running");
                }

                return await ReclaimAndCreateAsync(message, resource, link, cancellationToken).ConfigureAwait(false);

            default:
                // Deleted (or a link without an id): a PUT after a DELETE creates the event again.
                return await ReclaimAndCreateAsync(message, resource, link, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MessageOutcome> ReclaimAndCreateAsync(CalendarEventQueueMessage message, CalendarEventResource resource,
        CalendarEventLinkEntity link, CancellationToken cancellationToken)
    {
        // The ETag makes this one writer's claim: of two deliveries that read the same row, only one creates.
        if (link.State != CalendarEventLinkStore.Claimed)
        {
            link.ClaimedAt = timeProvider.GetUtcNow();
        }

        link.ClaimedByIngestionId = message.IngestionId;
        if (!await links.TryUpdateAsync(link, CalendarEventLinkStore.Claimed, null, cancellationToken, message.Order).ConfigureAwait(false))
        {
            throw new LinkBusyException(message.IngestionId, "changed while it was being claimed");
        }

        return await CreateAndLinkAsync(message, resource, link, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MessageOutcome> CreateAndLinkAsync(CalendarEventQueueMessage message, CalendarEventResource resource,
        CalendarEventLinkEntity claim, CancellationToken cancellationToken)
    {
        TwineResponse<CalendarEventResource> created;
        try
        {
            created = await twine.CreateCalendarEventAsync(resource, cancellationToken).ConfigureAwait(false);
        }
        catch (TwineApiException e) when (TwineFailures.IsPermanent(e))
        {
            // Twine created nothing: release the claim so the partner's corrected PUT can claim it again.
            await links.TryReleaseAsync(claim, cancellationToken).ConfigureAwait(false);
            return Rejected(message.IngestionId, e);
        }

        var twineId = created.Data?.Id ?? throw new InvalidOperationException("createCalendarEvent answered without an id.");
        LogCreated(message.IngestionId, twineId, created.Meta?.ReqId);
        if (!await links.TryUpdateAsync(claim, CalendarEventLinkStore.Linked, twineId, cancellationToken, message.Order).ConfigureAwait(false))
        {
            // Someone changed the claim since it was written: retry; the redelivery finds this event and adopts it.
            throw new LinkBusyException(message.IngestionId, "changed before the created event could be linked");
        }

        return Succeeded(twineId);
    }

    private async Task<MessageOutcome> UpdateAsync(CalendarEventQueueMessage message, CalendarEventResource resource, string twineId, CancellationToken cancellationToken)
    {
        try
        {
            var updated = await twine.UpdateCalendarEventAsync(ToUpdate(resource, twineId), cancellationToken).ConfigureAwait(false);
            LogUpdated(message.IngestionId, twineId, updated.Meta?.ReqId);
            return Succeeded(twineId);
        }
        catch (TwineApiException e) when (TwineFailures.IsPermanent(e))
        {
            return Rejected(message.IngestionId, e);
        }
    }

    private async Task<MessageOutcome> DeleteAsync(CalendarEventQueueMessage message, CalendarEventLinkEntity? link, CancellationToken cancellationToken)
    {
        switch (link?.State)
        {
            case null:
                // Chosen: a failure the operator can see, not a silent no-op; the partner may have mixed up its ids.
                return Failed([new IngestionError(UnknownExternalIdCode, "No calendar event is linked to this externalId; nothing was deleted.", null, null)],
                    "No calendar event is linked to this externalId; nothing was deleted.");

            case CalendarEventLinkStore.Deleted:
                // Still the newest delete: an older PUT that arrives after it must not bring the event back.
                await StampOrderAsync(message, link, cancellationToken).ConfigureAwait(false);
                LogAlreadyDeleted(message.IngestionId, link.TwineId);
                return new MessageOutcome(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 0, 0, 0, link.TwineId is { } id ? [id] : [], []);

            case CalendarEventLinkStore.Claimed when !LeaseOver(link):
                throw new LinkBusyException(message.IngestionId, "is still being created");

            case CalendarEventLinkStore.Claimed:
                return Failed([new IngestionError(UnknownExternalIdCode, "The event's creation never finished; nothing was deleted.", null, null)],
                    "The calendar event's creation never finished; nothing was deleted.");
        }

        var twineId = link.TwineId!;
        var wasDeleting = link.State == CalendarEventLinkStore.Deleting;
        if (!wasDeleting && !await links.TryUpdateAsync(link, CalendarEventLinkStore.Deleting, twineId, cancellationToken, message.Order).ConfigureAwait(false))
        {
            throw new LinkBusyException(message.IngestionId, "changed while it was being marked for deletion");
        }

        MessageOutcome outcome;
        try
        {
            await twine.DeleteCalendarEventAsync(twineId, cancellationToken).ConfigureAwait(false);
            LogDeleted(message.IngestionId, twineId);
            outcome = Succeeded(twineId);
        }
        catch (TwineApiException e) when (e.StatusCode == HttpStatusCode.NotFound && wasDeleting)
        {
            // An earlier attempt deleted it and stopped before recording that.
            LogAlreadyDeleted(message.IngestionId, twineId);
            outcome = Succeeded(twineId);
        }
        catch (TwineApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone from Twine without us (deleted there directly): recorded as Twine's error; the link is closed.
            outcome = Rejected(message.IngestionId, e);
        }
        catch (TwineApiException e) when (TwineFailures.IsPermanent(e))
        {
            await links.TryUpdateAsync(link, CalendarEventLinkStore.Linked, twineId, cancellationToken).ConfigureAwait(false);
            return Rejected(message.IngestionId, e);
        }

        if (!await links.TryUpdateAsync(link, CalendarEventLinkStore.Deleted, twineId, cancellationToken, message.Order).ConfigureAwait(false))
        {
            throw new LinkBusyException(message.IngestionId, "changed before the delete could be recorded");
        }

        return outcome;
    }

    private bool LeaseOver(CalendarEventLinkEntity link) => timeProvider.GetUtcNow() - link.UpdatedAt >= ClaimLease;

    private static CalendarEventResource? ToResource(JsonElement data)
    {
        try
        {
            if (data.Deserialize(TwineJsonContext.Default.CalendarEventResource) is not { Attributes: not null } resource)
            {
                return null;
            }

            _ = JsonSerializer.SerializeToUtf8Bytes(resource, TwineJsonContext.Default.CalendarEventResource);
            return resource;
        }
        catch (Exception e) when (ProcessingFailureClassifier.Classify(e) == FailureClass.Permanent)
        {
            return null;
        }
    }

    /// <summary>The PATCH body: every attribute the partner sent (Twine keeps attributes the PATCH leaves out).</summary>
    private static CalendarEventUpdateResource ToUpdate(CalendarEventResource resource, string twineId)
    {
        var a = resource.Attributes!;
        var attributes = new CalendarEventUpdateAttributes
        {
            Type = a.Type,
            Title = a.Title,
            TimeZone = a.TimeZone,
            AllDay = a.AllDay,
            StartAt = a.StartAt,
            EndAt = a.EndAt,
            Location = a.Location,
            Description = a.Description,
            Attendees = a.Attendees?.Select(x => new CalendarEventAttendee { User = x.User, ResponseStatus = x.ResponseStatus }).ToList(),
        };
        if (a.CompletedAt is { } completedAt)
        {
            attributes.CompletedAt = completedAt;
        }

        if (a.CompletedBy is { } completedBy)
        {
            attributes.CompletedBy = completedBy;
        }

        return new CalendarEventUpdateResource { Id = twineId, Attributes = attributes, Relationships = resource.Relationships };
    }

    /// <summary>
    /// Before a write that leaves the link's state as it is (an update of a linked event, a repeated delete), the link
    /// takes this write's order with the ETag it was read with, so that an older write that arrives or is rescheduled
    /// after it is superseded. Another delivery changing the link first: rescheduled, and read again.
    /// </summary>
    private async Task StampOrderAsync(CalendarEventQueueMessage message, CalendarEventLinkEntity link, CancellationToken cancellationToken)
    {
        if (message.Order is { } order && order.Latest(link.LastOrder) != link.LastOrder
            && !await links.TryUpdateAsync(link, link.State, link.TwineId, cancellationToken, order).ConfigureAwait(false))
        {
            throw new LinkBusyException(message.IngestionId, "changed while this write's order was being recorded");
        }
    }

    /// <summary>A newer write for this externalId was applied first: this one is not sent to Twine (not a failure).</summary>
    private MessageOutcome Superseded(CalendarEventQueueMessage message)
    {
        LogSuperseded(message.IngestionId, message.Operation);
        return new(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 0, 0, 0, [], [], null, Superseded: 1);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: {Operation} superseded by a newer write for its externalId; not sent to Twine")]
    private partial void LogSuperseded(string ingestionId, string operation);

    private static MessageOutcome Succeeded(string twineId) =>
        new(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 1, 0, 0, [twineId], []);

    private static MessageOutcome Failed(IReadOnlyList<IngestionError> errors, string reason) =>
        new(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 0, 0, 1, [], errors, reason);

    private MessageOutcome Rejected(string ingestionId, TwineApiException e)
    {
        LogRejected(ingestionId, e.Operation, TwineFailures.Status(e), e.ErrorCode, e.RequestId);
        return Failed(TwineFailures.Errors(e), TwineFailures.Reason(e));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: processing calendar event {Operation} (attempt {DequeueCount})")]
    private partial void LogProcessing(string ingestionId, string operation, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: Twine created calendar event {TwineId} (req_id {ReqId})")]
    private partial void LogCreated(string ingestionId, string twineId, string? reqId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: Twine updated calendar event {TwineId} (req_id {ReqId})")]
    private partial void LogUpdated(string ingestionId, string twineId, string? reqId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: Twine deleted calendar event {TwineId}")]
    private partial void LogDeleted(string ingestionId, string twineId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: calendar event {TwineId} was already deleted")]
    private partial void LogAlreadyDeleted(string ingestionId, string? twineId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: adopted calendar event {TwineId} that an interrupted attempt had created")]
    private partial void LogAdopted(string ingestionId, string twineId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: Twine refused {Operation}: {StatusCode} {ErrorCode} (req_id {ReqId}); recorded, not retried")]
    private partial void LogRejected(string ingestionId, string operation, int statusCode, string? errorCode, string? reqId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: calendar event {Operation} recorded: {Succeeded} succeeded, {Failed} failed")]
    private partial void LogRecorded(string ingestionId, string operation, int succeeded, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: the calendar event message was already recorded; Twine not called again")]
    private partial void LogAlreadyRecorded(string ingestionId);
}
