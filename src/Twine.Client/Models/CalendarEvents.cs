using System.Text.Json.Serialization;
using Twine.Client.Serialization;

namespace Twine.Client.Models;

public sealed class CalendarEventResource() : TwineResource<CalendarEventAttributes, CalendarEventRelationships>(ResourceTypes.CalendarEvent);

/// <summary>The calendar event types Twine knows.</summary>
public static class CalendarEventTypes
{
    /// <summary>Must be all-day and has no <c>end_at</c>.</summary>
    public const string PlanCheckIn = "plan-check-in";
    public const string Reminder = "reminder";
    public const string TelephoneCall = "telephone-call";
    public const string OfficeVisit = "office-visit";
    public const string VideoCall = "video-call";
}

public sealed class CalendarEventAttributes
{
    /// <summary>Immutable after creation; see <see cref="CalendarEventTypes"/>.</summary>
    public string? Type { get; set; }
    public string? Title { get; set; }
    public string? TimeZone { get; set; }
    public bool? AllDay { get; set; }
    public DateTimeOffset? StartAt { get; set; }
    public DateTimeOffset? EndAt { get; set; }
    public string? Location { get; set; }
    public string? Description { get; set; }
    public List<CalendarEventAttendee>? Attendees { get; set; }

    /// <summary>Only for plan check-ins.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The coach who completed it. Only for plan check-ins.</summary>
    public string? CompletedBy { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

public sealed class CalendarEventAttendee
{
    /// <summary>Coach or patient id.</summary>
    public string? User { get; set; }

    /// <summary>needsAction, declined, tentative or accepted; read-only here (Twine sets it from responses).</summary>
    public string? ResponseStatus { get; set; }

    [JsonPropertyName("_id")]
    public string? Id { get; set; }

    public static CalendarEventAttendee For(string userId) => new() { User = userId };
}

public sealed class CalendarEventRelationships
{
    /// <summary>The patient the event is for.</summary>
    public Relationship? Owner { get; set; }
}

/// <summary>The body of <c>updateCalendarEvent</c>: only what is set is sent.</summary>
public sealed class CalendarEventUpdateResource() : TwineResource<CalendarEventUpdateAttributes, CalendarEventRelationships>(ResourceTypes.CalendarEvent);

/// <summary>
/// Attributes for a PATCH. Unset properties are omitted (Twine keeps what a PATCH leaves out). The optional attributes
/// Twine clears with <c>null</c> — <see cref="EndAt"/>, <see cref="TimeZone"/>, <see cref="Location"/>,
/// <see cref="Description"/>, <see cref="CompletedAt"/>, <see cref="CompletedBy"/> — are <see cref="Settable{T}"/>:
/// left unset they are omitted, set to null (<c>Settable&lt;T&gt;.Null</c>, or assigning a null value) they are written
/// as JSON null and cleared. <see cref="Attendees"/> is cleared with an empty list and <see cref="AllDay"/> with
/// <c>false</c>; <see cref="Type"/>, <see cref="Title"/> and <see cref="StartAt"/> cannot be cleared.
/// Use <see cref="MarkNotCompleted"/> to un-complete an event and <see cref="ReplaceWith"/> to make the event exactly a
/// given one.
/// </summary>
public sealed class CalendarEventUpdateAttributes
{
    public string? Type { get; set; }
    public string? Title { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonConverter(typeof(SettableJsonConverter<string?>))]
    public Settable<string?> TimeZone { get; set; }

    public bool? AllDay { get; set; }
    public DateTimeOffset? StartAt { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonConverter(typeof(SettableJsonConverter<DateTimeOffset?>))]
    public Settable<DateTimeOffset?> EndAt { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonConverter(typeof(SettableJsonConverter<string?>))]
    public Settable<string?> Location { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonConverter(typeof(SettableJsonConverter<string?>))]
    public Settable<string?> Description { get; set; }

    public List<CalendarEventAttendee>? Attendees { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonConverter(typeof(SettableJsonConverter<DateTimeOffset?>))]
    public Settable<DateTimeOffset?> CompletedAt { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonConverter(typeof(SettableJsonConverter<string?>))]
    public Settable<string?> CompletedBy { get; set; }

    /// <summary>
    /// Every attribute of <paramref name="event"/> (<c>type</c> included: Twine accepts the unchanged value), and what it
    /// lacks cleared as Twine clears it: null for end_at, time_zone, location, description, completed_at and
    /// completed_by, an empty list for attendees, <c>false</c> for all_day. The PATCH then leaves Twine's event exactly
    /// <paramref name="event"/> (attendees' response statuses are Twine's and not changed by a PATCH).
    /// </summary>
    public static CalendarEventUpdateAttributes ReplaceWith(CalendarEventAttributes @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return new CalendarEventUpdateAttributes
        {
            Type = @event.Type,
            Title = @event.Title,
            StartAt = @event.StartAt,
            AllDay = @event.AllDay ?? false,
            TimeZone = @event.TimeZone,
            EndAt = @event.EndAt,
            Location = @event.Location,
            Description = @event.Description,
            Attendees = @event.Attendees?.Select(a => new CalendarEventAttendee { User = a.User, ResponseStatus = a.ResponseStatus }).ToList() ?? [],
            CompletedAt = @event.CompletedAt,
            CompletedBy = @event.CompletedBy,
        };
    }

    /// <summary>Marks the event completed by a coach at a time.</summary>
    public CalendarEventUpdateAttributes MarkCompleted(DateTimeOffset at, string coachId)
    {
        CompletedAt = at;
        CompletedBy = coachId;
        return this;
    }

    /// <summary>Un-completes the event: writes <c>completed_at</c> and <c>completed_by</c> as JSON null.</summary>
    public CalendarEventUpdateAttributes MarkNotCompleted()
    {
        CompletedAt = Settable<DateTimeOffset?>.Null;
        CompletedBy = Settable<string?>.Null;
        return this;
    }
}
