using System.Net;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

/// <summary>
/// updateCalendarEvent, attribute by attribute: what a PATCH that leaves an attribute out, sends it as null, as an empty
/// string or as an empty array does (docs/SANDBOX.md, "Calendar events: clearing attributes on PATCH").
/// </summary>
public sealed class CalendarEventClearingTests : SandboxHost
{
    private const string Pointer = "/data/attributes/";

    /// <summary>A telephone call with every optional attribute set; returns its id.</summary>
    private async Task<string> NewFullEvent(string type = "telephone-call", bool allDay = false)
    {
        var attributes = new JsonObject
        {
            ["type"] = type,
            ["title"] = "Call",
            ["time_zone"] = "America/New_York",
            ["all_day"] = allDay,
            ["start_at"] = allDay ? "2025-03-05T00:00:00Z" : "2025-03-05T14:00:00Z",
            ["location"] = "Room 4",
            ["description"] = "Quarterly review",
            ["completed_at"] = "2025-03-05T15:30:00Z",
            ["completed_by"] = CoachId,
            ["attendees"] = new JsonArray(
                new JsonObject { ["user"] = CoachId, ["response_status"] = "accepted" },
                new JsonObject { ["user"] = PatientId }),
        };
        if (!allDay)
        {
            attributes["end_at"] = "2025-03-05T15:00:00Z";
        }

        var body = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "calendar_event",
                ["attributes"] = attributes,
                ["relationships"] = new JsonObject { ["owner"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = PatientId } } },
            },
        }.ToJsonString();
        return (string)(await Post("calendar_event", body)).AssertOk(HttpStatusCode.Created).Data["id"]!;
    }

    private async Task<Reply> PatchEvent(string id, string attributesJson) =>
        await Patch($"calendar_event/{id}", Update("calendar_event", id, attributesJson));

    private async Task<JsonObject> Attributes(string id) => (await Get($"calendar_event/{id}")).AssertOk().Data["attributes"]!.AsObject();

    [Theory]
    [InlineData("end_at")]
    [InlineData("location")]
    [InlineData("description")]
    [InlineData("time_zone")]
    [InlineData("completed_at")]
    [InlineData("completed_by")]
    public async Task A_null_removes_an_optional_attribute_and_keeps_the_rest(string name)
    {
        var id = await NewFullEvent();
        var reply = (await PatchEvent(id, $$"""{"{{name}}":null}""")).AssertOk();
        Assert.False(reply.Data["attributes"]!.AsObject().ContainsKey(name));
        var stored = await Attributes(id);
        Assert.False(stored.ContainsKey(name));
        Assert.Equal("Call", (string?)stored["title"]); // the rest stays
    }

    [Fact]
    public async Task Null_completed_at_and_completed_by_mark_the_event_not_completed()
    {
        var id = await NewFullEvent();
        (await PatchEvent(id, """{"completed_at":null,"completed_by":null}""")).AssertOk();
        var list = (await Get($"calendar_event?filter[patient]={PatientId}&filter[completed]=true&page[size]=50")).AssertOk();
        Assert.DoesNotContain(id, list.Ids);
    }

    [Theory]
    [InlineData("location")]
    [InlineData("description")]
    public async Task An_empty_location_or_description_is_stored_as_an_empty_string(string name)
    {
        var id = await NewFullEvent();
        (await PatchEvent(id, $$"""{"{{name}}":""}""")).AssertOk();
        Assert.Equal("", (string?)(await Attributes(id))[name]);
    }

    [Theory]
    [InlineData("end_at")]
    [InlineData("start_at")]
    [InlineData("completed_at")]
    [InlineData("time_zone")]
    public async Task An_empty_string_is_409_where_it_is_no_valid_value_and_changes_nothing(string name)
    {
        var id = await NewFullEvent();
        var before = await Attributes(id);
        (await PatchEvent(id, $$"""{"{{name}}":""}""")).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: Pointer + name);
        Assert.Equal((string?)before[name], (string?)(await Attributes(id))[name]);
    }

    [Fact]
    public async Task An_empty_attendees_array_removes_every_attendee()
    {
        var id = await NewFullEvent();
        (await PatchEvent(id, """{"attendees":[]}""")).AssertOk();
        Assert.Empty((await Attributes(id))["attendees"]!.AsArray());
    }

    [Theory]
    [InlineData("attendees")]
    [InlineData("title")]
    [InlineData("start_at")]
    [InlineData("type")]
    public async Task A_null_required_attribute_is_409_and_changes_nothing(string name)
    {
        var id = await NewFullEvent();
        var before = await Attributes(id);
        (await PatchEvent(id, $$"""{"{{name}}":null}""")).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: Pointer + name);
        Assert.Equal(before.ToJsonString(), (await Attributes(id)).ToJsonString());
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"   \"")]
    public async Task An_empty_or_blank_title_is_409_and_the_title_stays(string json)
    {
        var id = await NewFullEvent();
        (await PatchEvent(id, $$"""{"title":{{json}}}""")).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: Pointer + "title");
        Assert.Equal("Call", (string?)(await Attributes(id))["title"]);
    }

    [Fact]
    public async Task The_same_type_is_accepted_and_another_type_is_409()
    {
        var id = await NewFullEvent();
        (await PatchEvent(id, """{"type":"telephone-call","title":"Renamed"}""")).AssertOk();
        (await PatchEvent(id, """{"type":"video-call"}""")).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: Pointer + "type");
        var stored = await Attributes(id);
        Assert.Equal("telephone-call", (string?)stored["type"]);
        Assert.Equal("Renamed", (string?)stored["title"]);
    }

    [Fact]
    public async Task A_null_all_day_makes_the_event_not_all_day()
    {
        var id = await NewFullEvent(type: "reminder", allDay: true);
        (await PatchEvent(id, """{"all_day":null,"start_at":"2025-03-05T09:00:00Z"}""")).AssertOk();
        Assert.False((bool)(await Attributes(id))["all_day"]!);
    }

    [Fact]
    public async Task An_attribute_left_out_keeps_its_value()
    {
        var id = await NewFullEvent();
        var before = await Attributes(id);
        (await PatchEvent(id, """{"title":"Only the title"}""")).AssertOk();
        var after = await Attributes(id);
        foreach (var name in new[] { "end_at", "location", "description", "time_zone", "completed_at", "completed_by", "all_day", "start_at", "type" })
        {
            Assert.Equal(before[name]?.ToJsonString(), after[name]?.ToJsonString());
        }

        Assert.Equal(before["attendees"]!.ToJsonString(), after["attendees"]!.ToJsonString());
    }

    [Fact]
    public async Task Attendees_keep_their_response_status_and_new_ones_start_at_needsAction_whatever_is_sent()
    {
        var id = await NewFullEvent();
        var reply = (await PatchEvent(id, $$"""
            {"attendees":[
              {"user":"{{CoachId}}","response_status":"declined"},
              {"user":"{{SecondCoachId}}","response_status":"accepted"}]}
            """)).AssertOk();
        var attendees = reply.Data["attributes"]!["attendees"]!.AsArray();
        Assert.Equal(new[] { CoachId, SecondCoachId }, attendees.Select(a => (string)a!["user"]!));
        Assert.Equal("accepted", (string?)attendees[0]!["response_status"]); // kept from before the PATCH
        Assert.Equal("needsAction", (string?)attendees[1]!["response_status"]); // new: the status sent is not applied
        Assert.Equal(attendees.ToJsonString(), (await Attributes(id))["attendees"]!.ToJsonString());
    }

    [Fact]
    public async Task An_unknown_attendee_response_status_is_still_409()
    {
        var id = await NewFullEvent();
        (await PatchEvent(id, $$"""{"attendees":[{"user":"{{CoachId}}","response_status":"maybe"}]}"""))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: Pointer + "attendees/0/response_status");
    }

    [Fact]
    public async Task A_plan_check_in_accepts_a_null_end_at_and_refuses_one_that_is_set()
    {
        var id = await NewFullEvent(type: "plan-check-in", allDay: true);
        (await PatchEvent(id, """{"end_at":null}""")).AssertOk();
        (await PatchEvent(id, """{"end_at":"2025-03-06T00:00:00Z"}""")).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: Pointer + "end_at");
    }

    [Fact]
    public async Task A_replacement_clears_everything_the_new_version_leaves_out()
    {
        // What the function app sends for a partner PUT that dropped every optional attribute.
        var id = await NewFullEvent();
        (await PatchEvent(id, $$"""
            {"type":"telephone-call","title":"Call","all_day":false,"start_at":"2025-03-05T14:00:00Z",
             "end_at":null,"location":null,"description":null,"time_zone":null,"completed_at":null,"completed_by":null,
             "attendees":[]}
            """)).AssertOk();
        var stored = await Attributes(id);
        var names = stored.Select(a => a.Key).Where(n => n is not ("created_at" or "updated_at")).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "all_day", "attendees", "start_at", "title", "type" }, names);
        Assert.Empty(stored["attendees"]!.AsArray());
    }

    [Fact]
    public async Task A_create_leaves_out_optional_attributes_sent_as_null()
    {
        var body = """
            {"data":{"type":"calendar_event","attributes":{"type":"reminder","title":"R","all_day":true,"start_at":"2025-03-05T00:00:00Z",
              "attendees":[],"location":null,"description":null,"end_at":null,"time_zone":null},
              "relationships":{"owner":{"data":{"type":"patient","id":"@OWNER@"}}}}}
            """.Replace("@OWNER@", PatientId, StringComparison.Ordinal);
        var attributes = (await Post("calendar_event", body)).AssertOk(HttpStatusCode.Created).Data["attributes"]!.AsObject();
        Assert.False(attributes.ContainsKey("location"));
        Assert.False(attributes.ContainsKey("end_at"));
    }
}
