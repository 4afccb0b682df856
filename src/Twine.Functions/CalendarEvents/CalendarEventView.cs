using System.Text.Json;
using System.Text.Json.Serialization;

namespace Twine.Functions.CalendarEvents;

/// <summary>The body of GET /api/calendar-events/{externalId}: the link and the event as last polled (left out of the JSON when not polled yet).</summary>
public sealed record CalendarEventView(string ExternalId, string TwineId, string LinkState, CalendarEventItem? Event);

public sealed record CalendarEventItem
{
    public required string Id { get; init; }
    public string? Type { get; init; }
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    public bool? AllDay { get; init; }
    public string? TimeZone { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? CompletedBy { get; init; }
    public string? PatientId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public DateTimeOffset PolledAt { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CalendarEventView))]
public sealed partial class CalendarEventJsonContext : JsonSerializerContext;
