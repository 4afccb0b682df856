using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>
/// calendar_event: list, create, fetch, update, delete, with the spec's date rules. Over 300 lines because the date
/// rules (all-day, time zones, plan check-ins) and the update's clearing rules are shared by create and update and
/// read best beside both routes.
/// </summary>
internal static class CalendarEventEndpoints
{
    private const string Type = "calendar_event";
    private const string At = "/data/attributes";
    public static readonly string[] EventTypes = ["plan-check-in", "reminder", "telephone-call", "office-visit", "video-call"];
    private static readonly string[] ResponseStatuses = ["needsAction", "declined", "tentative", "accepted"];

    private static readonly string[] Filters =
    [
        "filter[patient]", "filter[groups]", "filter[organization]", "filter[attendees]", "filter[type]", "filter[completed]",
        "filter[start_at]", "filter[end_at]", "filter[completed_at]", "filter[created_at]", "filter[updated_at]",
    ];

    // The overview pages calendar events with sort=start_at; these are the times worth sorting by.
    private static readonly Dictionary<string, Func<JsonObject, IComparable?>> Sorts = new()
    {
        ["start_at"] = e => Dates.Read(e["attributes"]?["start_at"]),
        ["end_at"] = e => Dates.Read(e["attributes"]?["end_at"]),
        ["created_at"] = e => Dates.Read(e["attributes"]?["created_at"]),
        ["updated_at"] = e => Dates.Read(e["attributes"]?["updated_at"]),
    };

    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapGet("/calendar_event", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, Filters, sort: true, include: true);
            var include = Includes.Parse(context, "owner");
            var org = OrgScope.Of(context, state);
            var scope = Common.PatientScope(context, org);
            var attendees = QueryFilters.Ids(context, "filter[attendees]");
            if (scope is null && attendees is null)
            {
                throw Common.ScopeRequired("filter[patient]", "filter[groups]", "filter[organization]", "filter[attendees]");
            }

            var type = QueryFilters.Enum(context, "filter[type]", EventTypes);
            var completed = QueryFilters.Bool(context, "filter[completed]");
            var ranges = new[] { "start_at", "end_at", "completed_at", "created_at", "updated_at" }
                .Select(name => (name, range: QueryFilters.Range(context, $"filter[{name}]")))
                .Where(r => r.range is not null)
                .ToList();
            var events = state.Store.Snapshot(Type)
                .Where(e => scope is null || (Documents.RelatedId(e, "owner") is { } owner && scope.Contains(owner)))
                .Where(e => attendees is null || AttendeeIds(e).Overlaps(attendees))
                .Where(e => type is null || Documents.Attr(e, "type") == type)
                .Where(e => completed is null || (e["attributes"]?["completed_at"] is not null) == completed)
                .Where(e => ranges.All(r => r.range!.Value.Contains(Dates.Read(e["attributes"]?[r.name]))))
                .Where(org.Owns) // filter[attendees] alone must not reach another organization's events
                .ToList();
            events = QueryFilters.Sort(context, events, Sorts);
            return Common.Ok(Paging.Page(context, events, PagingRules.Standard,
                include.Contains("owner") ? page => Common.Related(org, page, "owner", "patient") : null));
        });

        pub.MapPost("/calendar_event", async (HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            var data = RequestBody.Data(await RequestBody.ReadJsonApiAsync(context), Type);
            var given = RequestBody.Attributes(data);
            if (data["relationships"]?["owner"]?["data"] is null)
            {
                throw ApiException.Body("/data/relationships/owner", "owner (the patient the event is for) is required");
            }

            var owner = References.Patient(scope, data["relationships"]!["owner"]!["data"], "/data/relationships/owner/data");
            RequestBody.RequiredString(given, "title", At);
            if (given["type"] is null)
            {
                throw ApiException.Body(At + "/type", "type is required");
            }

            if (given["start_at"] is null)
            {
                throw ApiException.Body(At + "/start_at", "start_at is required");
            }

            if (given["attendees"] is null)
            {
                throw ApiException.Body(At + "/attendees", "attendees is required");
            }

            // On create, a null attribute is the same as one left out.
            var attributes = CleanCopy(given);
            foreach (var name in attributes.Where(a => a.Value is null).Select(a => a.Key).ToList())
            {
                attributes.Remove(name);
            }

            attributes["all_day"] ??= false;
            Validate(scope, attributes);
            var calendarEvent = Common.NewResource(Type, attributes, new JsonObject { ["owner"] = Common.ToOne("patient", owner) }, state.Now());
            state.Store.Add(calendarEvent);
            return Common.Created(Documents.Single(calendarEvent));
        });

        pub.MapGet("/calendar_event/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var include = Includes.Parse(context, "owner");
            var scope = OrgScope.Of(context, state);
            var calendarEvent = scope.Find(Type, id);
            return Common.Ok(Documents.Single(calendarEvent,
                include.Contains("owner") ? Common.Related(scope, [calendarEvent], "owner", "patient") : null));
        });

        pub.MapMethods("/calendar_event/{id}", ["PATCH"], async (string id, HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            var data = RequestBody.Data(await RequestBody.ReadJsonApiAsync(context), Type, requireAttributes: false);
            Common.CheckSameId(data, id);

            // Another organization's event is 403 before anything in the body is looked at.
            scope.Find(Type, id);
            if (data["attributes"] is not null and not JsonObject)
            {
                throw ApiException.Body(At, "attributes must be an object");
            }

            var changes = CleanCopy(data["attributes"] as JsonObject ?? new JsonObject());
            CheckClearing(changes);
            string? owner = null;
            if (data["relationships"]?["owner"]?["data"] is { } ownerData)
            {
                owner = References.Patient(scope, ownerData, "/data/relationships/owner/data");
            }

            // Read-modify-write without a lock held while validating; a concurrent update of the same event makes it
            // run again on the newer event, so neither change is lost.
            var updated = state.Store.Update(Type, id, next =>
            {
                if (!scope.Owns(next))
                {
                    throw OrgScope.Forbidden(Type, id);
                }

                var attributes = next["attributes"]!.AsObject();
                if (changes.ContainsKey("type") && RequestBody.StringOrNull(changes["type"]) != Documents.Attr(next, "type"))
                {
                    throw ApiException.Body(At + "/type", "type is immutable after the event is created (CalendarEventResource: 'Immutable after event creation')");
                }

                var before = StatusesByUser(attributes);
                Apply(attributes, changes);
                Validate(scope, attributes);
                if (changes.ContainsKey("attendees"))
                {
                    // "Attendees can be added or removed, but response status cannot be updated": an attendee who stays
                    // keeps the status the event had; a new one starts at needsAction.
                    foreach (var attendee in attributes["attendees"]!.AsArray())
                    {
                        var user = RequestBody.StringOrNull(attendee!["user"])!;
                        attendee["response_status"] = before.GetValueOrDefault(user, "needsAction");
                    }
                }

                attributes["updated_at"] = state.Now();
                if (owner is not null)
                {
                    next["relationships"] = new JsonObject { ["owner"] = Common.ToOne("patient", owner) };
                }

                return next;
            }) ?? throw ApiException.NotFound(Type, id);

            return Common.Ok(Documents.Single(updated));
        });

        pub.MapDelete("/calendar_event/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            scope.Find(Type, id);

            // Of two deletes racing, the second finds nothing: 404, as if it had come later.
            if (!state.Store.Remove(Type, id))
            {
                throw ApiException.NotFound(Type, id);
            }

            return Common.Ok(new JsonObject());
        });
    }

    /// <summary>
    /// PATCH: what each attribute accepts as "no value" (docs/SANDBOX.md, "Calendar events: clearing attributes on
    /// PATCH"). Refused here, before the event is read: null for type (immutable), title ("must not be empty or null"),
    /// start_at and attendees (required by CreateCalendarEventRequest; attendees are removed with []).
    /// </summary>
    private static void CheckClearing(JsonObject changes)
    {
        foreach (var (name, value) in changes)
        {
            if (value is not null)
            {
                continue;
            }

            var why = name switch
            {
                "type" => "type is immutable after the event is created and cannot be null",
                "title" => "title must not be empty or null",
                "start_at" => "start_at is required; it cannot be removed",
                "attendees" => "attendees cannot be null; send [] to remove every attendee",
                _ => null,
            };
            if (why is not null)
            {
                throw ApiException.Body($"{At}/{name}", why);
            }
        }
    }

    /// <summary>
    /// PATCH: an attribute left out keeps its value; null removes an optional one (end_at, location, description,
    /// time_zone, completed_at, completed_by, or any attribute the spec does not define); null all_day is all_day's
    /// default, false; anything else replaces the value (an empty string or array included).
    /// </summary>
    private static void Apply(JsonObject attributes, JsonObject changes)
    {
        foreach (var (name, value) in changes)
        {
            if (value is not null)
            {
                attributes[name] = value.DeepClone();
            }
            else if (name == "all_day")
            {
                attributes[name] = false;
            }
            else
            {
                attributes.Remove(name);
            }
        }
    }

    private static Dictionary<string, string> StatusesByUser(JsonObject attributes)
    {
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attendee in attributes["attendees"] as JsonArray ?? [])
        {
            if (RequestBody.StringOrNull(attendee?["user"]) is { } user)
            {
                statuses[user] = RequestBody.StringOrNull(attendee!["response_status"]) ?? "needsAction";
            }
        }

        return statuses;
    }

    private static HashSet<string> AttendeeIds(JsonObject calendarEvent) =>
        (calendarEvent["attributes"]?["attendees"] as JsonArray ?? [])
            .Select(a => RequestBody.StringOrNull(a?["user"])).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>The attributes a client writes (created_*/updated_* are Twine's), copied; keeps nulls (PATCH reads them).</summary>
    private static JsonObject CleanCopy(JsonObject given)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in given)
        {
            if (key is not ("created_at" or "updated_at" or "created_by" or "updated_by"))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    /// <summary>The rules from CalendarEventResource, checked on the event as it would be stored.</summary>
    private static void Validate(OrgScope scope, JsonObject attributes)
    {
        var title = RequestBody.RequiredString(attributes, "title", At);
        _ = title;
        var type = RequestBody.OptionalEnum(attributes, "type", At, EventTypes)!;
        var allDay = RequestBody.OptionalBool(attributes, "all_day", At) ?? false;
        var start = RequestBody.OptionalDateTime(attributes, "start_at", At) ?? throw ApiException.Body(At + "/start_at", "start_at is required");
        var end = RequestBody.OptionalDateTime(attributes, "end_at", At);
        RequestBody.OptionalDateTime(attributes, "completed_at", At);
        RequestBody.OptionalString(attributes, "location", At);
        RequestBody.OptionalString(attributes, "description", At);
        if (attributes["completed_by"] is { } completedBy && completedBy.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Object))
        {
            throw ApiException.Body(At + "/completed_by", "completed_by must be a user id");
        }

        // A coach (or patient) of another organization cannot complete the event either.
        if (RequestBody.StringOrNull(attributes["completed_by"]) is { } completer
            && (scope.State.Store.Peek("coach", completer) ?? scope.State.Store.Peek("patient", completer)) is { } person && !scope.Owns(person))
        {
            throw OrgScope.Forbidden((string)person["type"]!, completer, At + "/completed_by");
        }

        var zoneName = RequestBody.OptionalString(attributes, "time_zone", At);
        TimeZoneInfo? zone = null;
        if (zoneName is not null && !TimeZones.TryFindIana(zoneName, out zone))
        {
            throw ApiException.Body(At + "/time_zone", $"'{zoneName}' is not an IANA time zone name (like America/New_York)");
        }

        ValidateAttendees(scope, attributes);

        if (type == "plan-check-in")
        {
            if (!allDay)
            {
                throw ApiException.Body(At + "/all_day", "all_day must be true for a plan-check-in event");
            }

            if (end is not null)
            {
                throw ApiException.Body(At + "/end_at", "end_at cannot be set for a plan-check-in event");
            }
        }

        var startText = RequestBody.StringOrNull(attributes["start_at"])!;
        var endText = RequestBody.StringOrNull(attributes["end_at"]);
        if (allDay)
        {
            if (!StartsADay(startText, start, zone))
            {
                throw ApiException.Body(At + "/start_at", "an all-day event must start at the beginning of a day");
            }

            if (end is { } e && (!StartsADay(endText!, e, zone) || e <= start))
            {
                throw ApiException.Body(At + "/end_at", "an all-day event must end at the beginning of a later day");
            }
        }
        else if (end is { } e)
        {
            if (e <= start)
            {
                throw ApiException.Body(At + "/end_at", "end_at must be after start_at");
            }

            var startDay = LocalDate(startText, start, zone);
            var endDay = LocalDate(endText!, e, zone);
            if (startDay != endDay)
            {
                throw ApiException.Body(At + "/end_at", "an event that is not all-day must start and end on the same day");
            }
        }
    }

    private static void ValidateAttendees(OrgScope scope, JsonObject attributes)
    {
        var state = scope.State;
        if (!attributes.TryGetPropertyValue("attendees", out var node) || node is null)
        {
            return;
        }

        if (node is not JsonArray attendees)
        {
            throw ApiException.Body(At + "/attendees", "attendees must be an array of {user, response_status}");
        }

        for (var i = 0; i < attendees.Count; i++)
        {
            var pointer = $"{At}/attendees/{i}";
            var attendee = attendees[i] as JsonObject ?? throw ApiException.Body(pointer, "an attendee must be an object {user}");
            var user = RequestBody.RequiredString(attendee, "user", pointer);
            var person = state.Store.Peek("patient", user) ?? state.Store.Peek("coach", user)
                ?? throw ApiException.Body(pointer + "/user", $"No coach or patient with id '{user}'");
            if (!scope.Owns(person))
            {
                throw OrgScope.Forbidden((string)person["type"]!, user, pointer + "/user");
            }

            attendee["response_status"] = RequestBody.OptionalEnum(attendee, "response_status", pointer, ResponseStatuses) ?? "needsAction";
        }
    }

    /// <summary>
    /// Midnight either in the offset the client wrote or in the event's time_zone: the spec's own
    /// examples use both ("2018-02-20T00:00:00Z" and "2017-11-03T04:00:00.000Z" for America/New_York).
    /// </summary>
    private static bool StartsADay(string text, DateTimeOffset instant, TimeZoneInfo? zone)
    {
        var written = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        if (written.TimeOfDay == TimeSpan.Zero)
        {
            return true;
        }

        return zone is not null && TimeZoneInfo.ConvertTime(instant, zone).TimeOfDay == TimeSpan.Zero;
    }

    /// <summary>The calendar day in the event's time_zone, or in the offset the client wrote.</summary>
    private static DateOnly LocalDate(string text, DateTimeOffset instant, TimeZoneInfo? zone) =>
        DateOnly.FromDateTime(zone is not null
            ? TimeZoneInfo.ConvertTime(instant, zone).DateTime
            : DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture).DateTime);
}
