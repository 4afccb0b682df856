using Azure;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.CalendarEvents;

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

    /// <summary>A delete is under way (or was interrupted): a ResourceNotFound from Twine then means it already worked.</summary>
    public const string Deleting = "deleting";

    /// <summary>
    /// How long a delivery's lease on a link (<see cref="CalendarEventLinkEntity.LeaseToken"/>) keeps other deliveries
    /// waiting after its last write: longer than one Twine call may take (the client's total request timeout, 30 s by
    /// default), so a lease only runs out on a delivery that stopped.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Deleted links (tombstones) keep the order of their DELETE for at least this long, so that an older PUT still
    /// waiting in a queue (a reschedule chain lasts at most <c>Processing__RetryFor</c>, at most 30 days) is superseded
    /// rather than bringing the event back. Nothing prunes the table yet; a pruner must keep them this long.
    /// </summary>
    public static readonly TimeSpan TombstoneRetention = TimeSpan.FromDays(35);

    /// <summary>Inserts a link (default: <c>claimed</c>). Null when a link for this externalId already exists.</summary>
    /// <param name="lastOrder">The inserting write's order key (<see cref="CalendarWriteOrder.Key"/>), kept as the last order applied.</param>
    /// <param name="leaseToken">The inserting delivery's lease, or null (a tombstone holds none).</param>
    public async Task<CalendarEventLinkEntity?> TryClaimAsync(string externalId, string ingestionId, CancellationToken cancellationToken,
        string? lastOrder = null, string? leaseToken = null, string state = Claimed)
    {
        var now = timeProvider.GetUtcNow();
        var link = new CalendarEventLinkEntity
        {
            PartitionKey = externalId,
            State = state,
            ClaimedByIngestionId = ingestionId,
            ClaimedAt = now,
            UpdatedAt = now,
            LastOrder = lastOrder,
            LeaseToken = leaseToken,
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

    /// <summary>
    /// True while another delivery holds the link: its lease is set and was written less than <see cref="Lease"/> ago,
    /// or (a claim written without a lease) another ingestion claimed it that recently.
    /// </summary>
    public bool IsHeldByAnother(CalendarEventLinkEntity link, string ingestionId, string? leaseToken = null)
    {
        var fresh = timeProvider.GetUtcNow() - link.UpdatedAt < Lease;
        return link.LeaseToken is { } token
            ? fresh && token != leaseToken
            : fresh && link.State == Claimed && link.ClaimedByIngestionId != ingestionId;
    }

    /// <summary>One point read (PK = externalId, RK = "link").</summary>
    public async Task<CalendarEventLinkEntity?> GetAsync(string externalId, CancellationToken cancellationToken)
    {
        var response = await tables.CalendarEventLinks.GetEntityIfExistsAsync<CalendarEventLinkEntity>(externalId, TableKeys.CalendarEventLinkRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>
    /// Removes a claim whose create Twine refused (nothing was created), so the next PUT can claim again. Conditional on
    /// the ETag; false when the link changed meanwhile.
    /// </summary>
    public async Task<bool> TryReleaseAsync(CalendarEventLinkEntity link, CancellationToken cancellationToken)
    {
        try
        {
            await tables.CalendarEventLinks.DeleteEntityAsync(link.PartitionKey, link.RowKey, link.ETag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes the link's new state if nobody changed it since it was read (ETag); false when someone did. With a
    /// <paramref name="lastOrder"/> key, the link keeps it (the caller passes the later of the write's and the link's).
    /// The entity's other members (lease, type, ...) are written as they are.
    /// </summary>
    public async Task<bool> TryUpdateAsync(CalendarEventLinkEntity link, string state, string? twineId, CancellationToken cancellationToken,
        string? lastOrder = null)
    {
        link.State = state;
        link.TwineId = twineId;
        link.LastOrder = lastOrder ?? link.LastOrder;
        link.UpdatedAt = timeProvider.GetUtcNow();
        try
        {
            var response = await tables.CalendarEventLinks.UpdateEntityAsync(link, link.ETag, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            link.ETag = response.Headers.ETag ?? default;
            if (state == Linked && twineId is not null)
            {
                await WriteReverseAsync(twineId, link.PartitionKey, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    /// <summary>
    /// The reverse row (PK = Twine id, RK = "twine-id"): Twine id → externalId for the poller. An upsert: a Twine id only
    /// ever belongs to one externalId, so writing it again changes nothing.
    /// </summary>
    private Task WriteReverseAsync(string twineId, string externalId, CancellationToken cancellationToken) =>
        tables.CalendarEventLinks.UpsertEntityAsync(
            new Azure.Data.Tables.TableEntity(twineId, TableKeys.CalendarEventTwineIdRow) { ["ExternalId"] = externalId },
            Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken);

    /// <summary>The partner's externalId of a Twine calendar event the pipeline created (one point read), or null.</summary>
    public async Task<string?> FindExternalIdAsync(string twineId, CancellationToken cancellationToken)
    {
        var response = await tables.CalendarEventLinks.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(
            twineId, TableKeys.CalendarEventTwineIdRow, ["ExternalId"], cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetString("ExternalId") : null;
    }
}
