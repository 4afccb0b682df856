using Azure;
using Twine.Functions.Storage;

namespace Twine.Functions.Ingestion.CalendarEvents;

/// <summary>
/// externalId → Twine calendar_event id. Twine's create is not safe to repeat, so the processor claims the link
/// with a conditional insert before its first create (409: another delivery claimed it; look for what that one
/// created before creating again), then records the Twine id with the ETag it read.
/// </summary>
public sealed class CalendarEventLinkStore(StorageTables tables, TimeProvider timeProvider)
{
    public const string Claimed = "claimed";
    public const string Linked = "linked";
    public const string Deleted = "deleted";

    /// <summary>Inserts a <c>claimed</c> link. Null when a link for this externalId already exists.</summary>
    public async Task<CalendarEventLinkEntity?> TryClaimAsync(string externalId, string ingestionId, CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        var link = new CalendarEventLinkEntity
        {
            PartitionKey = externalId,
            State = Claimed,
            ClaimedByIngestionId = ingestionId,
            ClaimedAt = now,
            UpdatedAt = now,
        };
        try
        {
            var response = await tables.CalendarEventLinks.AddEntityAsync(link, cancellationToken).ConfigureAwait(false);
            link.ETag = response.Headers.ETag ?? default;
            return link;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    /// <summary>One point read (PK = externalId, RK = "link").</summary>
    public async Task<CalendarEventLinkEntity?> GetAsync(string externalId, CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var response = await tables.CalendarEventLinks.GetEntityIfExistsAsync<CalendarEventLinkEntity>(externalId, TableKeys.CalendarEventLinkRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Writes the link's new state if nobody changed it since it was read (ETag); false when someone did.</summary>
    public async Task<bool> TryUpdateAsync(CalendarEventLinkEntity link, string state, string? twineId, CancellationToken cancellationToken)
    {
        link.State = state;
        link.TwineId = twineId;
        link.UpdatedAt = timeProvider.GetUtcNow();
        try
        {
            var response = await tables.CalendarEventLinks.UpdateEntityAsync(link, link.ETag, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            link.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }
}
