using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>calendar_event: list, create, fetch, update, delete, with the spec's date rules.</summary>
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
            var events = state.Store.All(Type)
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

            var attributes = CleanCopy(given);
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
            string? owner = null;
            if (data["relationships"]?["owner"]?["data"] is { } ownerData)
            {
                owner = References.Patient(scope, ownerData, "/data/relationships/owner/data");
            }

            JsonObject updated;
            lock (state.Store.Gate)
            {
                var stored = state.Store.GetLocked(Type, id) ?? throw ApiException.NotFound(Type, id);
                if (!scope.OwnsLocked(stored))
                {
                    throw OrgScope.Forbidden(Type, id);
                }

                var next = stored.DeepClone().AsObject();
                var attributes = next["attributes"]!.AsObject();
                if (changes["type"] is { } newType && RequestBody.StringOrNull(newType) != Documents.Attr(stored, "type"))
                {
                    throw ApiException.Body(At + "/type", "type cannot change after the event is created");
                }

                if (changes.ContainsKey("title") && changes["title"] is null)
                {
                    throw ApiException.Body(At + "/title", "title must not be empty or null");
                }

                Common.Merge(attributes, changes);
                Validate(scope, attributes);
                attributes["updated_at"] = state.Now();
                if (owner is not null)
                {
                    next["relationships"] = new JsonObject { ["owner"] = Common.ToOne("patient", owner) };
                }

                state.Store.AddLocked(next);
                updated = next;
            }

            return Common.Ok(Documents.Single(updated));
        });

        pub.MapDelete("/calendar_event/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            lock (state.Store.Gate)
            {
                var stored = state.Store.GetLocked(Type, id) ?? throw ApiException.NotFound(Type, id);
                if (!scope.OwnsLocked(stored))
                {
                    throw OrgScope.Forbidden(Type, id);
                }

                state.Store.Remove(Type, id);
            }

            return Common.Ok(new JsonObject());
        });
    }

    private static HashSet<string> AttendeeIds(JsonObject calendarEvent) =>
        (calendarEvent["attributes"]?["attendees"] as JsonArray ?? [])
            .Select(a => RequestBody.StringOrNull(a?["user"])).OfType<string>().ToHashSet(StringComparer.Ordinal);

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
            && (scope.State.Store.Get("coach", completer) ?? scope.State.Store.Get("patient", completer)) is { } person && !scope.Owns(person))
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
            var person = state.Store.Get("patient", user) ?? state.Store.Get("coach", user)
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
