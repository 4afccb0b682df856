using Azure;
using Azure.Data.Tables;
using Twine.Client.Models;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// A CalendarEvents row (PK = Twine calendar_event id, RK = "event"): GET /api/calendar-events/{externalId} reads the
/// link (PK = externalId) and then this row, two point reads. Title, description, location and attendees are free
/// text or people: not copied (patient data the operator view does not need).
/// </summary>
public sealed class CalendarEventRow : ITableEntity
{
    public const string Row = "event";

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = Row;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string? Type { get; set; }
    public DateTimeOffset? StartAt { get; set; }
    public DateTimeOffset? EndAt { get; set; }
    public bool? AllDay { get; set; }
    public string? TimeZone { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public string? CompletedBy { get; set; }

    /// <summary>The owner: the patient the event is for.</summary>
    public string? PatientId { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>The partner's id when the pipeline created the event (from the link's reverse row); null for events made elsewhere.</summary>
    public string? ExternalId { get; set; }

    public DateTimeOffset PolledAt { get; set; }

    public static CalendarEventRow? From(CalendarEventResource resource, DateTimeOffset polledAt)
    {
        if (resource.Id is not { } id || !TableKeys.IsSafeKey(id))
        {
            return null;
        }

        var a = resource.Attributes ?? new CalendarEventAttributes();
        return new CalendarEventRow
        {
            PartitionKey = id,
            Type = a.Type,
            StartAt = a.StartAt,
            EndAt = a.EndAt,
            AllDay = a.AllDay,
            TimeZone = a.TimeZone,
            CompletedAt = a.CompletedAt,
            CompletedBy = a.CompletedBy,
            PatientId = resource.Relationships?.Owner?.Id,
            CreatedAt = a.CreatedAt,
            UpdatedAt = a.UpdatedAt,
            PolledAt = polledAt,
        };
    }
}
