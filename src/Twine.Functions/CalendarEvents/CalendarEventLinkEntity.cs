using Azure;
using Azure.Data.Tables;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.CalendarEvents;

/// <summary>A row of CalendarEventLinks (PK = externalId, RK = "link"): the partner's id → Twine's calendar_event id.</summary>
public sealed class CalendarEventLinkEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = TableKeys.CalendarEventLinkRow;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    /// <summary>claimed (a create is under way or was interrupted), linked (Twine id known), deleting (a delete is under way or was interrupted) or deleted.</summary>
    public string State { get; set; } = "";
    public string? TwineId { get; set; }
    public string? ClaimedByIngestionId { get; set; }
    public DateTimeOffset ClaimedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The order (<see cref="CalendarWriteOrder.Key"/>) of the newest write applied or under way; older writes are superseded.</summary>
    public string? LastOrder { get; set; }

    /// <summary>
    /// Set while one delivery writes to Twine for this externalId (a random token per attempt, not the ingestion id: two
    /// deliveries of one message hold different tokens); other deliveries wait until it is cleared or
    /// <see cref="CalendarEventLinkStore.Lease"/> has passed since <see cref="UpdatedAt"/>.
    /// </summary>
    public string? LeaseToken { get; set; }

    /// <summary>The linked event's <c>type</c> (immutable in Twine): a PUT with another type deletes and recreates the event.</summary>
    public string? EventType { get; set; }

    /// <summary>While a PUT that changes the type recreates the event: the Twine id of the event being replaced (deleted before the create).</summary>
    public string? ReplacesTwineId { get; set; }
}
