using System.Collections.Frozen;
using System.Text.Json;
using Twine.Functions.Ingestions;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// The spec's calendar_event rules (CalendarEventResource, createCalendarEvent, updateCalendarEvent), checked before
/// anything is queued, and again on every queue message. A PUT may be the first for its externalId (a create), so
/// the create request's required members are required on every upsert.
/// </summary>
public static class CalendarEventValidator
{
    public const string ResourceType = "calendar_event";
    public const string PlanCheckIn = "plan-check-in";

    public static readonly FrozenSet<string> EventTypes =
        new[] { PlanCheckIn, "reminder", "telephone-call", "office-visit", "video-call" }.ToFrozenSet(StringComparer.Ordinal);

    public static readonly FrozenSet<string> ResponseStatuses =
        new[] { "needsAction", "declined", "tentative", "accepted" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Validates the resource found at <paramref name="pointer"/> (normally "/data").</summary>
    /// <remarks>Callers check the values first (<see cref="JsonRules.CheckValues"/>): a string that is not valid Unicode throws when read.</remarks>
    public static void Validate(JsonElement resource, string pointer, List<ProblemError> errors)
    {
        if (resource.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer(pointer, "'data' must be a calendar_event resource object."));
            return;
        }

        var type = JsonRules.GetString(resource, "type", pointer, errors, required: true);
        if (type is not null && type != ResourceType)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/type", $"'type' must be '{ResourceType}'."));
        }

        if (resource.TryGetProperty("id", out var id) && id.ValueKind != JsonValueKind.Null)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/id",
                "'id' must not be given: the app keeps Twine's id; the event is identified by the externalId in the URL."));
        }

        if (JsonRules.TryGetObject(resource, "attributes", pointer, errors, out var attributes))
        {
            ValidateAttributes(attributes, $"{pointer}/attributes", errors);
        }

        ValidateOwner(resource, pointer, errors);
    }

    private static void ValidateAttributes(JsonElement attributes, string pointer, List<ProblemError> errors)
    {
        var eventType = JsonRules.GetString(attributes, "type", pointer, errors, required: true);
        if (eventType is not null && !EventTypes.Contains(eventType))
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/type", $"'type' must be one of: {string.Join(", ", EventTypes.Order(StringComparer.Ordinal))}."));
            eventType = null;
        }

        JsonRules.GetString(attributes, "title", pointer, errors, required: true);
        JsonRules.GetString(attributes, "location", pointer, errors, required: false);
        JsonRules.GetString(attributes, "description", pointer, errors, required: false);

        TimeZoneInfo? zone = null;
        var zoneId = JsonRules.GetString(attributes, "time_zone", pointer, errors, required: false);
        // An IANA name exactly as the tz database spells it, as the spec says: on Linux, .NET also finds Windows ids
        // ("Eastern Standard Time", HasIanaId false), other spellings ("america/new_york", a different Id) and files of
        // the zoneinfo folder that are not zones ("posix/…", "right/…", "localtime", "posixrules").
        if (zoneId is not null && (zoneId.StartsWith("posix/", StringComparison.Ordinal) || zoneId.StartsWith("right/", StringComparison.Ordinal)
            || zoneId is "localtime" or "posixrules"
            || !(TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out zone) && zone.HasIanaId && string.Equals(zone.Id, zoneId, StringComparison.Ordinal))))
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/time_zone", "'time_zone' must be an IANA time zone, e.g. America/New_York."));
        }

        var allDay = JsonRules.GetBoolean(attributes, "all_day", pointer, errors) ?? false;
        var startAt = JsonRules.GetTimestamp(attributes, "start_at", pointer, errors, required: true);
        var hasEnd = attributes.TryGetProperty("end_at", out var endElement) && endElement.ValueKind != JsonValueKind.Null;
        var endAt = JsonRules.GetTimestamp(attributes, "end_at", pointer, errors, required: false);

        if (eventType == PlanCheckIn)
        {
            if (!allDay)
            {
                errors.Add(ProblemError.AtPointer($"{pointer}/all_day", "A plan-check-in event must have 'all_day' set to true."));
            }

            if (hasEnd)
            {
                errors.Add(ProblemError.AtPointer($"{pointer}/end_at", "A plan-check-in event must not have 'end_at'."));
            }
        }
        else if (eventType is not null)
        {
            foreach (var member in (string[])["completed_at", "completed_by"])
            {
                if (attributes.TryGetProperty(member, out var v) && v.ValueKind != JsonValueKind.Null)
                {
                    errors.Add(ProblemError.AtPointer($"{pointer}/{member}", $"'{member}' is only valid for plan-check-in events."));
                }
            }
        }

        if (attributes.TryGetProperty("completed_at", out var completed) && completed.ValueKind != JsonValueKind.Null)
        {
            JsonRules.GetTimestamp(attributes, "completed_at", pointer, errors, required: false);
        }

        try
        {
            CheckTimes(pointer, errors, zone, eventType, allDay, startAt, hasEnd, endAt);
        }
        catch (ArgumentOutOfRangeException)
        {
            // A time near DateTimeOffset's limits cannot be moved into the event's zone or offset (e.g. 9999-12-31 at +14:00).
            errors.Add(ProblemError.AtPointer($"{pointer}/{(hasEnd ? "end_at" : "start_at")}", "The event's times are out of range in its time zone."));
        }

        ValidateAttendees(attributes, pointer, errors);
    }

    private static void CheckTimes(string pointer, List<ProblemError> errors, TimeZoneInfo? zone, string? eventType, bool allDay,
        DateTimeOffset? startAt, bool hasEnd, DateTimeOffset? endAt)
    {
        if (startAt is { } start)
        {
            // "Beginning of day" and "same day" are read in the event's time zone, else in the offset it was given with.
            DateTimeOffset Local(DateTimeOffset t) => zone is null ? t.ToOffset(start.Offset) : TimeZoneInfo.ConvertTime(t, zone);

            if (allDay)
            {
                if (Local(start).TimeOfDay != TimeSpan.Zero)
                {
                    errors.Add(ProblemError.AtPointer($"{pointer}/start_at", "An all-day event must start at the beginning of a day."));
                }

                if (endAt is { } end && eventType != PlanCheckIn)
                {
                    if (Local(end).TimeOfDay != TimeSpan.Zero)
                    {
                        errors.Add(ProblemError.AtPointer($"{pointer}/end_at", "An all-day event must end at the beginning of a day."));
                    }
                    else if (end <= start)
                    {
                        errors.Add(ProblemError.AtPointer($"{pointer}/end_at", "'end_at' must be after 'start_at'."));
                    }
                }
            }
            else if (eventType != PlanCheckIn)
            {
                if (!hasEnd)
                {
                    errors.Add(ProblemError.AtPointer($"{pointer}/end_at", "An event that is not all-day needs 'end_at' (the same day as 'start_at')."));
                }
                else if (endAt is { } end)
                {
                    if (end <= start)
                    {
                        errors.Add(ProblemError.AtPointer($"{pointer}/end_at", "'end_at' must be after 'start_at'."));
                    }
                    else if (Local(end).Date != Local(start).Date)
                    {
                        errors.Add(ProblemError.AtPointer($"{pointer}/end_at", "An event that is not all-day must start and end on the same day."));
                    }
                }
            }
        }
    }

    private static void ValidateAttendees(JsonElement attributes, string pointer, List<ProblemError> errors)
    {
        if (!attributes.TryGetProperty("attendees", out var attendees) || attendees.ValueKind == JsonValueKind.Null)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/attendees", "'attendees' is required (an array, possibly empty)."));
            return;
        }

        if (attendees.ValueKind != JsonValueKind.Array)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/attendees", "'attendees' must be an array."));
            return;
        }

        var index = 0;
        foreach (var attendee in attendees.EnumerateArray())
        {
            var at = $"{pointer}/attendees/{index++}";
            if (attendee.ValueKind != JsonValueKind.Object)
            {
                errors.Add(ProblemError.AtPointer(at, "Each attendee must be an object with a 'user'."));
                continue;
            }

            JsonRules.GetString(attendee, "user", at, errors, required: true);
            var status = JsonRules.GetString(attendee, "response_status", at, errors, required: false);
            if (status is not null && !ResponseStatuses.Contains(status))
            {
                errors.Add(ProblemError.AtPointer($"{at}/response_status", "'response_status' must be needsAction, declined, tentative or accepted."));
            }
        }
    }

    /// <summary>relationships.owner.data: the patient the event is for (required by createCalendarEvent).</summary>
    private static void ValidateOwner(JsonElement resource, string pointer, List<ProblemError> errors)
    {
        var ownerPointer = $"{pointer}/relationships/owner/data";
        if (!resource.TryGetProperty("relationships", out var relationships) || relationships.ValueKind != JsonValueKind.Object
            || !relationships.TryGetProperty("owner", out var owner) || owner.ValueKind != JsonValueKind.Object
            || !owner.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer(ownerPointer, "The patient is required: relationships.owner.data with type 'patient' and an 'id'."));
            return;
        }

        var type = JsonRules.GetString(data, "type", ownerPointer, errors, required: true);
        if (type is not null && type != "patient")
        {
            errors.Add(ProblemError.AtPointer($"{ownerPointer}/type", "'type' must be 'patient'."));
        }

        JsonRules.GetString(data, "id", ownerPointer, errors, required: true);
    }
}
