using System.Net;
using Microsoft.Extensions.Logging;
using Twine.Client;
using Twine.Client.Errors;

using static Twine.Functions.CalendarEvents.CalendarEventOutcomes;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Failures;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// A DELETE, applied while its delivery holds the link's lease (<see cref="CalendarLinkClaims"/>). The link is marked
/// <c>deleting</c> before Twine is called, so a redelivery can tell "already deleted" (Twine's 404 after the mark) from
/// "someone deleted it in Twine". Every delete leaves the link <c>deleted</c> with its order: a tombstone that
/// supersedes any older PUT that arrives later.
/// </summary>
public sealed partial class CalendarEventDelete(ITwineClient twine, CalendarLinkClaims claims, ILogger<CalendarEventDelete> logger)
{
    public async Task<MessageOutcome> ApplyAsync(CalendarEventQueueMessage message, LinkLease lease, CancellationToken cancellationToken)
    {
        var link = lease.Link;
        if (lease.Inserted)
        {
            // The tombstone was inserted with this DELETE's order. Chosen: still a failure the operator can see (the
            // partner may have mixed up its ids), though an older PUT that arrives later will not create the event.
            LogTombstone(message.IngestionId);
            return UnknownExternalId("No calendar event is linked to this externalId; nothing was deleted (a PUT older than this DELETE will not create it).");
        }

        switch (lease.PreviousState)
        {
            case CalendarEventLinkStore.Deleted:
                // Still the newest delete (its order is on the link now): an older PUT that arrives after it must not bring the event back.
                await claims.ReleaseAsync(lease, CalendarEventLinkStore.Deleted, link.TwineId, message.IngestionId, cancellationToken).ConfigureAwait(false);
                LogAlreadyDeleted(message.IngestionId, link.TwineId);
                return NothingToDo(link.TwineId);

            case CalendarEventLinkStore.Claimed:
                await claims.ReleaseAsync(lease, CalendarEventLinkStore.Claimed, link.TwineId, message.IngestionId, cancellationToken).ConfigureAwait(false);
                return UnknownExternalId("The calendar event's creation never finished; nothing was deleted.");
        }

        var twineId = link.TwineId!;
        var wasDeleting = lease.PreviousState == CalendarEventLinkStore.Deleting;
        if (!wasDeleting)
        {
            await claims.WriteAsync(lease, CalendarEventLinkStore.Deleting, twineId, message.IngestionId, "changed while it was being marked for deletion",
                cancellationToken).ConfigureAwait(false);
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
            await claims.TryReleaseAsync(lease, CalendarEventLinkStore.Linked, twineId, cancellationToken).ConfigureAwait(false);
            return Rejected(message.IngestionId, e);
        }

        await claims.ReleaseAsync(lease, CalendarEventLinkStore.Deleted, twineId, message.IngestionId, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private MessageOutcome Rejected(string ingestionId, TwineApiException e)
    {
        LogRejected(ingestionId, e.Operation, TwineFailures.Status(e), e.ErrorCode, e.RequestId);
        return CalendarEventOutcomes.Rejected(e);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: Twine deleted calendar event {TwineId}")]
    private partial void LogDeleted(string ingestionId, string twineId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: calendar event {TwineId} was already deleted")]
    private partial void LogAlreadyDeleted(string ingestionId, string? twineId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: delete of an externalId with no event; a tombstone keeps older PUTs from creating it")]
    private partial void LogTombstone(string ingestionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: Twine refused {Operation}: {StatusCode} {ErrorCode} (req_id {ReqId}); recorded, not retried")]
    private partial void LogRejected(string ingestionId, string operation, int statusCode, string? errorCode, string? reqId);
}
