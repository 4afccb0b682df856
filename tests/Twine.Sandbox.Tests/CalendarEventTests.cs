using System.Net;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

public sealed class CalendarEventTests : SandboxHost
{
    // CreateCalendarEventRequest example (its trailing comma after "attendees" removed: the spec's
    // example is not valid JSON as printed).
    private const string SpecCreateExample = """
        {
          "data": {
            "type": "calendar_event",
            "attributes": {
              "type": "plan-check-in",
              "time_zone": "America/New_York",
              "all_day": true,
              "start_at": "2018-02-20T00:00:00Z",
              "title": "Plan Check-In",
              "attendees": [
                {
                  "user": "5a0c8e27a9d454cc150997c9"
                }, {
                  "user": "5a0c8e27a9d454cc150997f7"
                }
              ]
            },
            "relationships": {
              "owner": {
                "data": {
                  "type": "patient",
                  "id": "5a0c8e27a9d454cc150997f7"
                }
              }
            }
          }
        }
        """;

    private static string Event(JsonObject attributes, string owner = PatientId) => new JsonObject
    {
        ["data"] = new JsonObject
        {
            ["type"] = "calendar_event",
            ["attributes"] = attributes,
            ["relationships"] = new JsonObject { ["owner"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = owner } } },
        },
    }.ToJsonString();

    private static JsonObject Call(string start = "2025-03-05T14:00:00Z", string? end = "2025-03-05T15:00:00Z") => new()
    {
        ["type"] = "telephone-call",
        ["all_day"] = false,
        ["start_at"] = start,
        ["end_at"] = end,
        ["title"] = "Telephone Call",
        ["attendees"] = new JsonArray(new JsonObject { ["user"] = CoachId }),
    };

    [Fact]
    public async Task The_specs_create_example_creates_an_event_of_its_owner_with_attendees_needing_action()
    {
        var reply = await Post("calendar_event", SpecCreateExample);
        reply.AssertOk(HttpStatusCode.Created);
        Assert.Equal("calendar_event", (string?)reply.Data["type"]);
        Assert.Equal(PatientId, (string?)reply.Data["relationships"]!["owner"]!["data"]!["id"]);
        Assert.Equal("needsAction", (string?)reply.Data["attributes"]!["attendees"]![0]!["response_status"]);
        Assert.Equal($"/pub/calendar_event/{(string?)reply.Data["id"]}", (string?)reply.Data["links"]!["self"]);

        var fetched = await Get($"calendar_event/{(string?)reply.Data["id"]}?include=owner");
        fetched.AssertOk();
        Assert.Equal("Plan Check-In", (string?)fetched.Data["attributes"]!["title"]);
        Assert.Equal(PatientId, (string?)fetched.Body["included"]![0]!["id"]);
    }

    [Fact]
    public async Task The_specs_update_example_is_accepted_on_a_telephone_call()
    {
        var created = await Post("calendar_event", Event(Call()));
        created.AssertOk(HttpStatusCode.Created);
        var id = (string)created.Data["id"]!;

        // UpdateCalendarEventRequest example, with this event's id (trailing comma removed).
        var update = """
            {
              "data": {
                "type": "calendar_event",
                "id": "@ID@",
                "attributes": {
                  "completed_at": "2017-11-03T06:17:34.652Z",
                  "completed_by": "5a0c8e27a9d454cc150997c9",
                  "type": "telephone-call",
                  "time_zone": "America/New_York",
                  "all_day": false,
                  "start_at": "2018-02-20T14:00:00Z",
                  "end_at": "2018-02-20T18:00:00Z",
                  "title": "Telephone Call",
                  "attendees": [
                    {
                      "user": "5a0c8e27a9d454cc150997c9"
                    }, {
                      "user": "5a0c8e27a9d454cc150997f7"
                    }
                  ]
                },
                "relationships": {
                  "owner": {
                    "data": {
                        "type": "patient",
                        "id": "5a0c8e27a9d454cc150997f7"
                    }
                  }
                }
              }
            }
            """.Replace("@ID@", id, StringComparison.Ordinal);
        var reply = await Patch($"calendar_event/{id}", update);
        reply.AssertOk();
        Assert.Equal("2018-02-20T18:00:00Z", (string?)reply.Data["attributes"]!["end_at"]);
    }

    [Fact]
    public async Task A_plan_check_in_that_is_not_all_day_is_409_on_all_day()
    {
        var attributes = Call(start: "2025-03-05T00:00:00Z", end: null);
        attributes["type"] = "plan-check-in";
        attributes.Remove("end_at");
        (await Post("calendar_event", Event(attributes))).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/all_day");
    }

    [Fact]
    public async Task A_plan_check_in_with_an_end_is_409_on_end_at()
    {
        var attributes = Call(start: "2025-03-05T00:00:00Z", end: "2025-03-06T00:00:00Z");
        attributes["type"] = "plan-check-in";
        attributes["all_day"] = true;
        (await Post("calendar_event", Event(attributes))).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/end_at");
    }

    [Fact]
    public async Task An_all_day_event_not_starting_at_midnight_is_409_on_start_at()
    {
        var attributes = Call(start: "2025-03-05T09:30:00Z", end: null);
        attributes.Remove("end_at");
        attributes["all_day"] = true;
        (await Post("calendar_event", Event(attributes))).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/start_at");
    }

    [Fact]
    public async Task An_all_day_event_starting_at_midnight_in_its_time_zone_is_accepted()
    {
        var attributes = Call(start: "2025-03-05T05:00:00.000Z", end: "2025-03-06T05:00:00.000Z");
        attributes["all_day"] = true;
        attributes["time_zone"] = "America/New_York";
        (await Post("calendar_event", Event(attributes))).AssertOk(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_timed_event_across_two_days_is_409_on_end_at()
    {
        (await Post("calendar_event", Event(Call(start: "2025-03-05T22:00:00Z", end: "2025-03-06T01:00:00Z"))))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/end_at");
    }

    [Fact]
    public async Task A_timed_event_within_one_day_in_its_time_zone_is_accepted()
    {
        // 22:00Z-01:00Z is 17:00-20:00 in New York (EST).
        var attributes = Call(start: "2025-03-05T22:00:00Z", end: "2025-03-06T01:00:00Z");
        attributes["time_zone"] = "America/New_York";
        (await Post("calendar_event", Event(attributes))).AssertOk(HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_end_before_the_start_is_409_on_end_at()
    {
        (await Post("calendar_event", Event(Call(start: "2025-03-05T15:00:00Z", end: "2025-03-05T14:00:00Z"))))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/end_at");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task An_empty_or_blank_title_is_409_on_title(string title)
    {
        var attributes = Call();
        attributes["title"] = title;
        (await Post("calendar_event", Event(attributes))).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/title");
    }

    [Theory]
    [InlineData("title")]
    [InlineData("type")]
    [InlineData("start_at")]
    [InlineData("attendees")]
    public async Task A_missing_required_attribute_is_409_pointing_at_it(string name)
    {
        var attributes = Call();
        attributes.Remove(name);
        (await Post("calendar_event", Event(attributes))).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: $"/data/attributes/{name}");
    }

    [Theory]
    [InlineData("type", "\"party\"")]
    [InlineData("start_at", "\"tomorrow\"")]
    [InlineData("all_day", "\"yes\"")]
    [InlineData("time_zone", "\"Mars/Olympus_Mons\"")]
    [InlineData("attendees", "\"everyone\"")]
    public async Task An_invalid_attribute_value_is_409_pointing_at_it(string name, string json)
    {
        var attributes = Call();
        attributes[name] = JsonNode.Parse(json);
        (await Post("calendar_event", Event(attributes))).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: $"/data/attributes/{name}");
    }

    // time_zone is an IANA (tz database) name, like the spec's America/New_York. .NET on Linux also finds Windows ids
    // (through ICU), matches names case-insensitively and finds zoneinfo files that are not zones: all refused.
    [Theory]
    [InlineData("Eastern Standard Time")]
    [InlineData("Pacific Standard Time")]
    [InlineData("UTC+05:00")]
    [InlineData("+05:00")]
    [InlineData("america/new_york")]
    [InlineData("AMERICA/NEW_YORK")]
    [InlineData("Utc")]
    [InlineData("localtime")]
    [InlineData("posixrules")]
    [InlineData("posix/Europe/Paris")]
    [InlineData("right/UTC")]
    [InlineData("/usr/share/zoneinfo/UTC")]
    [InlineData("../zoneinfo/UTC")]
    [InlineData("")]
    public async Task A_time_zone_that_is_not_an_iana_name_is_409_on_create_and_on_update_and_changes_nothing(string zone)
    {
        var attributes = Call();
        attributes["time_zone"] = zone;
        (await Post("calendar_event", Event(attributes))).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/time_zone");

        var created = await Post("calendar_event", Event(Call()));
        var id = (string)created.AssertOk(HttpStatusCode.Created).Data["id"]!;
        var update = Update("calendar_event", id, new JsonObject { ["time_zone"] = zone }.ToJsonString());
        (await Patch($"calendar_event/{id}", update)).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/time_zone");
        Assert.Null((await Get($"calendar_event/{id}")).Data["attributes"]!["time_zone"]);
    }

    [Theory]
    [InlineData("America/New_York")]
    [InlineData("Europe/Kyiv")]
    [InlineData("Europe/Kiev")] // a tz database link (backward name)
    [InlineData("US/Eastern")]
    [InlineData("UTC")]
    [InlineData("Etc/GMT+5")]
    [InlineData("Asia/Kolkata")]
    [InlineData("Antarctica/Troll")] // an IANA zone without a Windows equivalent
    public async Task An_iana_time_zone_name_is_accepted_and_served_as_sent(string zone)
    {
        var attributes = Call();
        attributes["time_zone"] = zone;
        var reply = await Post("calendar_event", Event(attributes));
        Assert.Equal(zone, (string?)reply.AssertOk(HttpStatusCode.Created).Data["attributes"]!["time_zone"]);
    }

    [Fact]
    public async Task An_event_without_an_owner_is_409_on_the_owner()
    {
        var body = new JsonObject { ["data"] = new JsonObject { ["type"] = "calendar_event", ["attributes"] = Call() } }.ToJsonString();
        (await Post("calendar_event", body)).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/owner");
    }

    [Fact]
    public async Task An_update_moves_updated_at_but_not_created_at_and_refuses_a_bad_end_a_new_type_or_another_id()
    {
        var created = await Post("calendar_event", Event(Call()));
        var id = (string)created.Data["id"]!;
        var createdAt = (string?)created.Data["attributes"]!["created_at"];
        Time.Advance(TimeSpan.FromMinutes(5));

        var reply = await Patch($"calendar_event/{id}", Update("calendar_event", id, """{"title":"Moved call"}"""));
        reply.AssertOk();
        Assert.Equal("Moved call", (string?)reply.Data["attributes"]!["title"]);
        Assert.Equal(createdAt, (string?)reply.Data["attributes"]!["created_at"]);
        Assert.Equal("2025-06-02T12:05:00.000Z", (string?)reply.Data["attributes"]!["updated_at"]);

        (await Patch($"calendar_event/{id}", Update("calendar_event", id, """{"end_at":"2025-03-06T15:00:00Z"}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/end_at");
        (await Patch($"calendar_event/{id}", Update("calendar_event", id, """{"type":"reminder"}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/type");
        (await Patch($"calendar_event/{id}", """{"data":{"type":"calendar_event","id":"000000000000000000000000","attributes":{}}}"""))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/id");
    }

    [Fact]
    public async Task An_update_completes_an_event_and_one_with_nulls_uncompletes_it()
    {
        var created = await Post("calendar_event", Event(Call()));
        var id = (string)created.Data["id"]!;
        var done = await Patch($"calendar_event/{id}", Update("calendar_event", id, $$"""{"completed_at":"2025-03-05T15:00:00Z","completed_by":"{{CoachId}}"}"""));
        Assert.Equal("2025-03-05T15:00:00Z", (string?)done.Data["attributes"]!["completed_at"]);

        var undone = await Patch($"calendar_event/{id}", Update("calendar_event", id, """{"completed_at":null,"completed_by":null}"""));
        undone.AssertOk();
        Assert.Null(undone.Data["attributes"]!["completed_at"]);
    }

    [Fact]
    public async Task A_deleted_event_is_404_to_fetch_delete_and_update()
    {
        var created = await Post("calendar_event", Event(Call()));
        var id = (string)created.Data["id"]!;
        (await Send(HttpMethod.Delete, $"calendar_event/{id}")).AssertOk();
        (await Get($"calendar_event/{id}")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Send(HttpMethod.Delete, $"calendar_event/{id}")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Patch($"calendar_event/{id}", Update("calendar_event", id, """{}"""))).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }
}

/// <summary>List filters and sorts over the seeded events only (no writes in this class).</summary>
public sealed class CalendarEventListTests : SandboxHost
{
    [Fact]
    public async Task Listing_events_without_a_scope_filter_is_409_even_with_other_filters()
    {
        (await Get("calendar_event")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[patient]");
        (await Get("calendar_event?filter[type]=reminder")).AssertError(HttpStatusCode.Conflict, "InvalidParameter");
    }

    [Fact]
    public async Task Events_filtered_on_a_patient_are_that_patients_events_with_their_count()
    {
        var reply = await Get($"calendar_event?filter[patient]={PatientId}");
        reply.AssertOk();
        Assert.Equal([CalendarEventId, "5a2000000000000000000001", "5a2000000000000000000002"], reply.Ids);
        Assert.Equal(3, (int)reply.Body["meta"]!["count"]!);
    }

    [Fact]
    public async Task Events_are_filtered_on_organization_groups_or_attendees()
    {
        Assert.Equal(6, (int)(await Get($"calendar_event?filter[organization]={OrganizationId}")).Body["meta"]!["count"]!);
        Assert.Equal(0, (int)(await Get($"calendar_event?filter[organization]={SecondOrganizationId}")).Body["meta"]!["count"]!);

        // Patient ...02 is only in Team Health; the first patient is in both groups.
        var team = await Get($"calendar_event?filter[groups]={TeamHealthGroupId}");
        Assert.Equal([CalendarEventId, "5a2000000000000000000001", "5a2000000000000000000002", "5a2000000000000000000004", "5a2000000000000000000005"], team.Ids);

        var attendees = await Get($"calendar_event?filter[attendees]={SecondCoachId}");
        Assert.Equal(["5a2000000000000000000001", "5a2000000000000000000003", "5a2000000000000000000005"], attendees.Ids);
    }

    [Fact]
    public async Task Events_are_filtered_on_type_and_completion_and_unknown_values_are_409()
    {
        var checkIns = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[type]=plan-check-in");
        Assert.Equal([CalendarEventId, "5a2000000000000000000005"], checkIns.Ids);

        var completed = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[completed]=true");
        Assert.Equal([CalendarEventId], completed.Ids);
        var open = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[completed]=false");
        Assert.Equal(5, open.DataArray.Count);

        (await Get($"calendar_event?filter[organization]={OrganizationId}&filter[type]=party"))
            .AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[type]");
        (await Get($"calendar_event?filter[organization]={OrganizationId}&filter[completed]=maybe"))
            .AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[completed]");
    }

    [Fact]
    public async Task Date_range_filters_include_their_start_and_exclude_their_end()
    {
        var march = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[start_at]=2024-03-01T05:00:00.000Z..2024-03-10T15:00:00Z");
        Assert.Equal([CalendarEventId, "5a2000000000000000000001"], march.Ids);

        // Offsets as in the spec's example (+ escaped as %2B).
        var april = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[end_at]=2024-04-01T00:00:00-04:00..2024-05-01T00:00:00%2B00:00");
        Assert.Equal(["5a2000000000000000000003", "5a2000000000000000000004"], april.Ids);

        var completedAt = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[completed_at]=2024-03-01T00:00:00Z..2024-03-02T00:00:00Z");
        Assert.Equal([CalendarEventId], completedAt.Ids);

        var created = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[created_at]=2024-02-02T00:00:00Z..2024-02-04T00:00:00Z");
        Assert.Equal(["5a2000000000000000000001", "5a2000000000000000000002"], created.Ids);

        var updated = await Get($"calendar_event?filter[organization]={OrganizationId}&filter[updated_at]=2030-01-01T00:00:00Z..2031-01-01T00:00:00Z");
        Assert.Empty(updated.DataArray);
    }

    [Theory]
    [InlineData("filter[start_at]=2024-03-01")]
    [InlineData("filter[start_at]=2024-03-01T00:00:00Z")]
    [InlineData("filter[start_at]=..")]
    [InlineData("filter[end_at]=2024-05-01T00:00:00Z..2024-04-01T00:00:00Z")]
    [InlineData("filter[colour]=red")]
    [InlineData("sort=title")]
    [InlineData("include=attendees")]
    public async Task An_unknown_or_malformed_filter_sort_or_include_is_409_naming_the_parameter(string query)
    {
        var parameter = query[..query.IndexOf('=', StringComparison.Ordinal)];
        (await Get($"calendar_event?filter[organization]={OrganizationId}&{query}")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: parameter);
    }

    [Fact]
    public async Task Events_are_sorted_on_start_at_ascending_or_descending()
    {
        var ascending = await Get($"calendar_event?filter[organization]={OrganizationId}&sort=start_at");
        var starts = ascending.DataArray.Select(e => DateTimeOffset.Parse((string)e!["attributes"]!["start_at"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(starts.Order().ToList(), starts);
        Assert.Equal(6, starts.Count);

        var descending = await Get($"calendar_event?filter[organization]={OrganizationId}&sort=-start_at");
        Assert.Equal(ascending.Ids.AsEnumerable().Reverse().ToList(), descending.Ids);
        Assert.Equal("5a2000000000000000000005", descending.Ids[0]);
    }

    [Fact]
    public async Task Including_the_owner_lists_each_patient_once_in_included()
    {
        var reply = await Get($"calendar_event?filter[patient]={PatientId}&include=owner");
        reply.AssertOk();
        var included = reply.Body["included"]!.AsArray();
        Assert.Single(included);
        Assert.Equal("patient", (string?)included[0]!["type"]);
        Assert.Equal(PatientId, (string?)included[0]!["id"]);
    }
}
