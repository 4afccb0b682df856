using Twine.Functions.Ingestions;





namespace Twine.Functions.CalendarEvents;

/// <summary>
/// Takes and gives back the lease on an externalId's link row, so that one delivery at a time writes to Twine for it.
/// Taking it is one conditional write (insert, or update with the ETag read) that also records the write's order; a
/// write older than the link's order is superseded before anything is written, and a link another delivery holds makes
/// this one wait (<see cref="LinkBusyException"/>: rescheduled). Every later write of the link uses the ETag of the
/// previous one, so a holder whose lease ran out (it stalled past <see cref="CalendarEventLinkStore.Lease"/>) and was
/// taken over can no longer change the link.
/// </summary>
public sealed class CalendarLinkClaims(CalendarEventLinkStore links)
{
    /// <summary>The lease on the link, or null when the write is older than the last one applied (superseded).</summary>
    public async Task<LinkLease?> AcquireAsync(CalendarEventQueueMessage message, CancellationToken cancellationToken)
    {
        var link = await links.GetAsync(message.ExternalId, cancellationToken).ConfigureAwait(false);
        if (message.Order?.IsOlderThan(link?.LastOrder) == true)
        {
            return null;
        }

        var token = Guid.NewGuid().ToString("N");
        var orderKey = message.Order?.Latest(link?.LastOrder) ?? CalendarWriteOrder.Normalize(link?.LastOrder);
        if (link is null)
        {
            // An upsert claims the externalId for its create; a delete of an id never seen leaves a tombstone with its order.
            var upsert = message.Operation == CalendarEventMessageWriter.Upsert;
            var inserted = await links.TryClaimAsync(message.ExternalId, message.IngestionId, cancellationToken, orderKey,
                    upsert ? token : null, upsert ? CalendarEventLinkStore.Claimed : CalendarEventLinkStore.Deleted).ConfigureAwait(false)
                ?? throw new LinkBusyException(message.IngestionId, "was claimed by another delivery at the same moment");
            return new LinkLease(inserted, token, null);
        }

        if (links.IsHeldByAnother(link, message.IngestionId))
        {
            throw new LinkBusyException(message.IngestionId, "is held by another delivery writing to Twine");
        }

        var previousState = link.State;
        link.LeaseToken = token;
        if (!await links.TryUpdateAsync(link, link.State, link.TwineId, cancellationToken, orderKey).ConfigureAwait(false))
        {
            throw new LinkBusyException(message.IngestionId, "changed while this delivery took it");
        }

        return new LinkLease(link, token, previousState);
    }

    /// <summary>Writes the link's state while keeping the lease; another delivery took it over: <see cref="LinkBusyException"/>.</summary>
    public async Task WriteAsync(LinkLease lease, string state, string? twineId, string ingestionId, string what, CancellationToken cancellationToken)
    {
        if (!await links.TryUpdateAsync(lease.Link, state, twineId, cancellationToken).ConfigureAwait(false))
        {
            throw new LinkBusyException(ingestionId, what);
        }
    }

    /// <summary>Writes the link's final state and gives the lease back; false when another delivery took the link over meanwhile.</summary>
    public Task<bool> TryReleaseAsync(LinkLease lease, string state, string? twineId, CancellationToken cancellationToken)
    {
        lease.Link.LeaseToken = null;
        return links.TryUpdateAsync(lease.Link, state, twineId, cancellationToken);
    }

    /// <summary>As <see cref="TryReleaseAsync"/>; a take-over is a <see cref="LinkBusyException"/>.</summary>
    public async Task ReleaseAsync(LinkLease lease, string state, string? twineId, string ingestionId, CancellationToken cancellationToken)
    {
        if (!await TryReleaseAsync(lease, state, twineId, cancellationToken).ConfigureAwait(false))
        {
            throw new LinkBusyException(ingestionId, "was taken over by another delivery before this one finished");
        }
    }

    /// <summary>After a failure: gives the lease back leaving the state as it is (best effort; the lease runs out anyway).</summary>
    public async Task ReleaseQuietlyAsync(LinkLease lease, CancellationToken cancellationToken)
    {
        if (lease.Link.LeaseToken == lease.Token)
        {
            try
            {
                await TryReleaseAsync(lease, lease.Link.State, lease.Link.TwineId, cancellationToken).ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException)
            {
                // Storage is failing too: the lease runs out by itself; the original failure is what gets handled.
            }
        }
    }

    /// <summary>Removes a link this delivery inserted and nothing came of (Twine refused the create): a corrected PUT claims it afresh.</summary>
    public Task<bool> TryRemoveAsync(LinkLease lease, CancellationToken cancellationToken) => links.TryReleaseAsync(lease.Link, cancellationToken);

    public Task<CalendarEventLinkEntity?> ReadAsync(string externalId, CancellationToken cancellationToken) => links.GetAsync(externalId, cancellationToken);
}

/// <summary>A delivery's lease on a link row.</summary>
/// <param name="Link">The row as last written by this delivery (its ETag is the one to write with).</param>
/// <param name="Token">This delivery's lease token.</param>
/// <param name="PreviousState">The state before this delivery took the link; null when this delivery inserted the row.</param>
public sealed record LinkLease(CalendarEventLinkEntity Link, string Token, string? PreviousState)
{
    public bool Inserted => PreviousState is null;
}
