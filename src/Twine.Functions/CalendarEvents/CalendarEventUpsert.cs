using System.Net;
using Microsoft.Extensions.Logging;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Models;

using static Twine.Functions.CalendarEvents.CalendarEventOutcomes;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Failures;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// A PUT, applied while its delivery holds the link's lease (<see cref="CalendarLinkClaims"/>): create the event
/// (no live event for the externalId), adopt the one an interrupted attempt created, replace the linked event's content
/// (a PATCH that sends every attribute and clears the rest), or, when the PUT changes the immutable <c>type</c>, delete
/// the event and create it again. Twine's create is not safe to repeat: the link is <c>claimed</c> (with the claim time
/// the search needs) before every create, and a redelivery that finds a claim searches before creating.
/// </summary>
public sealed partial class CalendarEventUpsert(
    ITwineClient twine,
    CalendarLinkClaims claims,
    CreatedEventFinder finder,
    TimeProvider timeProvider,
    ILogger<CalendarEventUpsert> logger)
{
    public async Task<MessageOutcome> ApplyAsync(CalendarEventQueueMessage message, CalendarEventResource resource, LinkLease lease,
        CancellationToken cancellationToken)
    {
        var link = lease.Link;
        if (lease.Inserted)
        {
            return await CreateAndLinkAsync(message, resource, lease, cancellationToken).ConfigureAwait(false);
        }

        switch (lease.PreviousState)
        {
            case CalendarEventLinkStore.Linked when link.TwineId is { } twineId:
                var type = link.EventType ?? await FetchTypeAsync(twineId, cancellationToken).ConfigureAwait(false);
                return type is not null && type != resource.Attributes!.Type
                    ? await ReplaceTypeAsync(message, resource, lease, twineId, cancellationToken).ConfigureAwait(false)
                    : await UpdateAsync(message, resource, lease, twineId, recreateIfGone: false, cancellationToken).ConfigureAwait(false);

            case CalendarEventLinkStore.Deleting when link.TwineId is { } twineId:
                // A delete that never finished: the event may still exist, so this PUT updates it (or creates it again).
                return await UpdateAsync(message, resource, lease, twineId, recreateIfGone: true, cancellationToken).ConfigureAwait(false);

            case CalendarEventLinkStore.Claimed:
                return await RecoverClaimAsync(message, resource, lease, cancellationToken).ConfigureAwait(false);

            default:
                // Deleted (a tombstone, or a link without an id): a PUT newer than the DELETE creates the event again.
                return await ClaimAndCreateAsync(message, resource, lease, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>An earlier attempt claimed the link and stopped: it may have created the event (and deleted the one it replaced).</summary>
    private async Task<MessageOutcome> RecoverClaimAsync(CalendarEventQueueMessage message, CalendarEventResource resource, LinkLease lease,
        CancellationToken cancellationToken)
    {
        var link = lease.Link;
        if (link.ReplacesTwineId is { } replaced)
        {
            await DeleteIfPresentAsync(replaced, cancellationToken).ConfigureAwait(false);
            link.ReplacesTwineId = null;
        }

        if (await finder.FindAsync(resource, link.ClaimedAt, cancellationToken).ConfigureAwait(false) is { Id: { } foundId })
        {
            LogAdopted(message.IngestionId, foundId);
            link.EventType = resource.Attributes!.Type;
            if (link.ClaimedByIngestionId != message.IngestionId)
            {
                // Another write's event: this write's content replaces it.
                await claims.WriteAsync(lease, CalendarEventLinkStore.Linked, foundId, message.IngestionId, "changed while the created event was adopted",
                    cancellationToken).ConfigureAwait(false);
                return await UpdateAsync(message, resource, lease, foundId, recreateIfGone: true, cancellationToken).ConfigureAwait(false);
            }

            await claims.ReleaseAsync(lease, CalendarEventLinkStore.Linked, foundId, message.IngestionId, cancellationToken).ConfigureAwait(false);
            return Succeeded(foundId);
        }

        return await ClaimAndCreateAsync(message, resource, lease, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the link <c>claimed</c> by this write (the search of a later redelivery starts at this claim time), then creates.</summary>
    private async Task<MessageOutcome> ClaimAndCreateAsync(CalendarEventQueueMessage message, CalendarEventResource resource, LinkLease lease,
        CancellationToken cancellationToken)
    {
        lease.Link.ClaimedAt = timeProvider.GetUtcNow();
        lease.Link.ClaimedByIngestionId = message.IngestionId;
        await claims.WriteAsync(lease, CalendarEventLinkStore.Claimed, lease.Link.TwineId, message.IngestionId, "changed while it was being claimed",
            cancellationToken).ConfigureAwait(false);
        return await CreateAndLinkAsync(message, resource, lease, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MessageOutcome> CreateAndLinkAsync(CalendarEventQueueMessage message, CalendarEventResource resource, LinkLease lease,
        CancellationToken cancellationToken)
    {
        TwineResponse<CalendarEventResource> created;
        try
        {
            created = await twine.CreateCalendarEventAsync(resource, cancellationToken).ConfigureAwait(false);
        }
        catch (TwineApiException e) when (TwineFailures.IsPermanent(e))
        {
            // Twine created nothing: a row this write inserted goes (the corrected PUT claims afresh); otherwise no live event.
            if (!lease.Inserted || !await claims.TryRemoveAsync(lease, cancellationToken).ConfigureAwait(false))
            {
                await claims.TryReleaseAsync(lease, CalendarEventLinkStore.Deleted, lease.Link.TwineId, cancellationToken).ConfigureAwait(false);
            }

            return Rejected(message.IngestionId, e);
        }

        var twineId = created.Data?.Id ?? throw new InvalidOperationException("createCalendarEvent answered without an id.");
        LogCreated(message.IngestionId, twineId, created.Meta?.ReqId);
        lease.Link.EventType = resource.Attributes!.Type;
        lease.Link.ReplacesTwineId = null;
        if (!await claims.TryReleaseAsync(lease, CalendarEventLinkStore.Linked, twineId, cancellationToken).ConfigureAwait(false))
        {
            await CompensateAsync(message, twineId, cancellationToken).ConfigureAwait(false);
            throw new LinkBusyException(message.IngestionId, "was taken over before the created event could be linked");
        }

        return Succeeded(twineId);
    }

    /// <summary>
    /// This delivery's lease ran out during its create and another delivery took the link over: unless that one adopted
    /// this event, it is deleted again, so Twine never keeps an event no link points to.
    /// </summary>
    private async Task CompensateAsync(CalendarEventQueueMessage message, string twineId, CancellationToken cancellationToken)
    {
        var now = await claims.ReadAsync(message.ExternalId, cancellationToken).ConfigureAwait(false);
        if (now?.TwineId != twineId)
        {
            LogCompensated(message.IngestionId, twineId);
            await DeleteIfPresentAsync(twineId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MessageOutcome> UpdateAsync(CalendarEventQueueMessage message, CalendarEventResource resource, LinkLease lease, string twineId,
        bool recreateIfGone, CancellationToken cancellationToken)
    {
        try
        {
            var updated = await twine.UpdateCalendarEventAsync(CalendarEventDocuments.ToReplace(resource, twineId), cancellationToken).ConfigureAwait(false);
            LogUpdated(message.IngestionId, twineId, updated.Meta?.ReqId);
        }
        catch (TwineApiException e) when (e.StatusCode == HttpStatusCode.NotFound && recreateIfGone)
        {
            // The unfinished delete had removed it: this newer PUT creates it again.
            return await ClaimAndCreateAsync(message, resource, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (TwineApiException e) when (TwineFailures.IsPermanent(e))
        {
            await claims.TryReleaseAsync(lease, CalendarEventLinkStore.Linked, twineId, cancellationToken).ConfigureAwait(false);
            return Rejected(message.IngestionId, e);
        }

        lease.Link.EventType ??= resource.Attributes!.Type;
        await claims.ReleaseAsync(lease, CalendarEventLinkStore.Linked, twineId, message.IngestionId, cancellationToken).ConfigureAwait(false);
        return Succeeded(twineId);
    }

    /// <summary>
    /// <c>type</c> is immutable in Twine: a PUT that changes it deletes the event and creates the partner's event anew
    /// (a new Twine id). The link is claimed with the replaced id first, so an interrupted replacement is finished by the
    /// next delivery (<see cref="RecoverClaimAsync"/>).
    /// </summary>
    private async Task<MessageOutcome> ReplaceTypeAsync(CalendarEventQueueMessage message, CalendarEventResource resource, LinkLease lease, string oldId,
        CancellationToken cancellationToken)
    {
        LogTypeChanged(message.IngestionId, oldId);
        lease.Link.ReplacesTwineId = oldId;
        lease.Link.ClaimedAt = timeProvider.GetUtcNow();
        lease.Link.ClaimedByIngestionId = message.IngestionId;
        await claims.WriteAsync(lease, CalendarEventLinkStore.Claimed, null, message.IngestionId, "changed while the event's replacement was claimed",
            cancellationToken).ConfigureAwait(false);
        await DeleteIfPresentAsync(oldId, cancellationToken).ConfigureAwait(false);
        return await CreateAndLinkAsync(message, resource, lease, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteIfPresentAsync(string twineId, CancellationToken cancellationToken)
    {
        try
        {
            await twine.DeleteCalendarEventAsync(twineId, cancellationToken).ConfigureAwait(false);
        }
        catch (TwineApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
    }

    /// <summary>The type of a linked event whose link predates <see cref="CalendarEventLinkEntity.EventType"/>; null when Twine no longer has it.</summary>
    private async Task<string?> FetchTypeAsync(string twineId, CancellationToken cancellationToken)
    {
        try
        {
            return (await twine.FetchCalendarEventAsync(twineId, cancellationToken).ConfigureAwait(false)).Data?.Attributes?.Type;
        }
        catch (TwineApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null; // the PATCH then reports Twine's ResourceNotFound
        }
    }

    private MessageOutcome Rejected(string ingestionId, TwineApiException e)
    {
        LogRejected(ingestionId, e.Operation, TwineFailures.Status(e), e.ErrorCode, e.RequestId);
        return CalendarEventOutcomes.Rejected(e);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: Twine created calendar event {TwineId} (req_id {ReqId})")]
    private partial void LogCreated(string ingestionId, string twineId, string? reqId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: Twine updated calendar event {TwineId} (req_id {ReqId})")]
    private partial void LogUpdated(string ingestionId, string twineId, string? reqId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: adopted calendar event {TwineId} that an interrupted attempt had created")]
    private partial void LogAdopted(string ingestionId, string twineId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: the PUT changes the type of calendar event {TwineId}; deleting it and creating the event again")]
    private partial void LogTypeChanged(string ingestionId, string twineId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: another delivery took the link over during the create; deleting calendar event {TwineId} again")]
    private partial void LogCompensated(string ingestionId, string twineId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: Twine refused {Operation}: {StatusCode} {ErrorCode} (req_id {ReqId}); recorded, not retried")]
    private partial void LogRejected(string ingestionId, string operation, int statusCode, string? errorCode, string? reqId);
}
