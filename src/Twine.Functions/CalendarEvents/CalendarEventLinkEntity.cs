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
}
