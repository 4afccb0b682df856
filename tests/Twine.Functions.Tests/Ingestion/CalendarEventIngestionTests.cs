using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>PUT and DELETE /api/calendar-events/{externalId}: the spec's calendar rules, then one queued message.</summary>
public sealed class CalendarEventIngestionTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Put_queues_an_upsert_with_the_resource_and_records_the_ingestion()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.CalendarEvent();

        var response = await app.PutCalendarEventAsync("ehr-appt:2018-02-20.1", body);

        Assert.Equal(202, response.Status);
        var id = response.IngestionId;
        Assert.Equal($"/api/ingestions/{id}", response.Headers["Location"]);
        var parsed = CalendarEventMessageParser.Parse(Assert.Single(await app.DecodedMessagesAsync(app.Names.CalendarEventsQueue)));
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors.Select(e => e.Pointer + " " + e.Detail)));
        var message = parsed.Message!;
        Assert.Equal((id, "upsert", "ehr-appt:2018-02-20.1"), (message.IngestionId, message.Operation, message.ExternalId));
        using var sent = JsonDocument.Parse(body.ToJsonString());
        Assert.True(JsonElement.DeepEquals(sent.RootElement.GetProperty("data"), message.Data!.Value));
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionKind.CalendarEvent, IngestionStatus.Accepted, "ehr-appt:2018-02-20.1", "upsert", 1),
            (record.Kind, record.Status, record.ExternalId, record.Operation, record.MessagesTotal));
        Assert.Equal(0, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Put_accepts_a_plan_check_in_that_starts_at_midnight_in_its_time_zone()
    {
        await using var app = new TestApp(azurite);

        var response = await app.PutCalendarEventAsync("checkin-1", Bodies.PlanCheckIn());

        Assert.Equal(202, response.Status);
    }

    [Fact]
    public async Task Delete_queues_a_delete_without_data()
    {
        await using var app = new TestApp(azurite);

        var response = await app.DeleteCalendarEventAsync("ehr-appt-9");

        Assert.Equal(202, response.Status);
        var message = CalendarEventMessageParser.Parse(Assert.Single(await app.DecodedMessagesAsync(app.Names.CalendarEventsQueue))).Message!;
        Assert.Equal(("delete", "ehr-appt-9", (JsonElement?)null), (message.Operation, message.ExternalId, message.Data));
        Assert.Equal("delete", (await app.GetStatusAsync(response.IngestionId)).Json["operation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Repeated_put_with_the_same_key_queues_once()
    {
        await using var app = new TestApp(azurite);

        var first = await app.PutCalendarEventAsync("evt-7", Bodies.CalendarEvent(), idempotencyKey: "k-7");
        var again = await app.PutCalendarEventAsync("evt-7", Bodies.CalendarEvent(), idempotencyKey: "k-7");

        Assert.Equal(first.IngestionId, again.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.CalendarEventsQueue));
    }

    public static TheoryData<string, string> CalendarRules() => new()
    {
        { "plan-check-in not all-day", "/data/attributes/all_day" },
        { "plan-check-in with end_at", "/data/attributes/end_at" },
        { "all-day not starting at the beginning of a day", "/data/attributes/start_at" },
        { "all-day not ending at the beginning of a day", "/data/attributes/end_at" },
        { "not all-day across two days", "/data/attributes/end_at" },
        { "ends before it starts", "/data/attributes/end_at" },
        { "not all-day without end_at", "/data/attributes/end_at" },
        { "title empty", "/data/attributes/title" },
        { "title missing", "/data/attributes/title" },
        { "type not in the enum", "/data/attributes/type" },
        { "type missing", "/data/attributes/type" },
        { "start_at missing", "/data/attributes/start_at" },
        { "start_at without offset", "/data/attributes/start_at" },
        { "attendees missing", "/data/attributes/attendees" },
        { "attendee without user", "/data/attributes/attendees/1/user" },
        { "attendee response_status unknown", "/data/attributes/attendees/0/response_status" },
        { "owner missing", "/data/relationships/owner/data" },
        { "owner not a patient", "/data/relationships/owner/data/type" },
        { "Twine id given", "/data/id" },
        { "resource type wrong", "/data/type" },
        { "completed_at on a telephone call", "/data/attributes/completed_at" },
        { "unknown time zone", "/data/attributes/time_zone" },
        { "all_day not boolean", "/data/attributes/all_day" },
        { "data missing", "/data" },
    };

    [Theory]
    [MemberData(nameof(CalendarRules))]
    public async Task Put_refuses_an_event_that_breaks_a_calendar_rule(string rule, string pointer)
    {
        await using var app = new TestApp(azurite);
        var body = rule switch
        {
            "plan-check-in not all-day" => Bodies.PlanCheckIn().With("data/attributes/all_day", false),
            "plan-check-in with end_at" => Bodies.PlanCheckIn().With("data/attributes/end_at", "2017-11-04T04:00:00.000Z"),
            "all-day not starting at the beginning of a day" => Bodies.CalendarEvent("reminder").With("data/attributes/all_day", true)
                .With("data/attributes/start_at", "2018-02-20T14:00:00Z").With("data/attributes/end_at", null, remove: true),
            "all-day not ending at the beginning of a day" => Bodies.CalendarEvent("office-visit").With("data/attributes/all_day", true)
                .With("data/attributes/start_at", "2018-02-20T05:00:00Z").With("data/attributes/end_at", "2018-02-21T06:00:00Z"),
            "not all-day across two days" => Bodies.CalendarEvent().With("data/attributes/end_at", "2018-02-21T15:00:00Z"),
            "ends before it starts" => Bodies.CalendarEvent().With("data/attributes/end_at", "2018-02-20T13:00:00Z"),
            "not all-day without end_at" => Bodies.CalendarEvent().With("data/attributes/end_at", null, remove: true),
            "title empty" => Bodies.CalendarEvent().With("data/attributes/title", "  "),
            "title missing" => Bodies.CalendarEvent().With("data/attributes/title", null, remove: true),
            "type not in the enum" => Bodies.CalendarEvent("house-call"),
            "type missing" => Bodies.CalendarEvent().With("data/attributes/type", null, remove: true),
            "start_at missing" => Bodies.CalendarEvent().With("data/attributes/start_at", null, remove: true),
            "start_at without offset" => Bodies.CalendarEvent().With("data/attributes/start_at", "2018-02-20T14:00:00"),
            "attendees missing" => Bodies.CalendarEvent().With("data/attributes/attendees", null, remove: true),
            "attendee without user" => Bodies.CalendarEvent().With("data/attributes/attendees/1", new JsonObject()),
            "attendee response_status unknown" => Bodies.CalendarEvent().With("data/attributes/attendees/0/response_status", "maybe"),
            "owner missing" => Bodies.CalendarEvent().With("data/relationships", null, remove: true),
            "owner not a patient" => Bodies.CalendarEvent().With("data/relationships/owner/data/type", "coach"),
            "Twine id given" => Bodies.CalendarEvent().With("data/id", "5a0c8e2aa9d454cc1509a142"),
            "resource type wrong" => Bodies.CalendarEvent().With("data/type", "event"),
            "completed_at on a telephone call" => Bodies.CalendarEvent().With("data/attributes/completed_at", "2018-02-20T19:00:00Z"),
            "unknown time zone" => Bodies.CalendarEvent().With("data/attributes/time_zone", "Mars/Olympus_Mons"),
            "all_day not boolean" => Bodies.CalendarEvent().With("data/attributes/all_day", "no"),
            "data missing" => new JsonObject { ["meta"] = new JsonObject() },
            _ => throw new ArgumentOutOfRangeException(nameof(rule)),
        };

        var response = await app.PutCalendarEventAsync("evt-1", body);

        response.AssertProblem(422);
        Assert.Contains(pointer, response.Pointers);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\\b")]
    [InlineData("a/b")]
    [InlineData("a%2Fb")]
    [InlineData("with space")]
    [InlineData("tab\there")]
    [InlineData("ümlaut")]
    [InlineData("")]
    public async Task Put_and_delete_refuse_an_externalId_that_cannot_be_a_table_key(string externalId)
    {
        await using var app = new TestApp(azurite);

        var put = await app.PutCalendarEventAsync(externalId, Bodies.CalendarEvent());
        var delete = await app.DeleteCalendarEventAsync(externalId);

        put.AssertProblem(400);
        delete.AssertProblem(400);
        Assert.Equal("externalId", put.Json["errors"]![0]!["parameter"]!.GetValue<string>());
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task Put_refuses_an_externalId_over_200_characters()
    {
        await using var app = new TestApp(azurite);

        var response = await app.PutCalendarEventAsync(new string('e', 201), Bodies.CalendarEvent());

        response.AssertProblem(400);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task Put_refuses_other_media_types_and_an_event_too_large_to_queue()
    {
        await using var app = new TestApp(azurite);

        var xml = await app.PutCalendarEventAsync("evt-1", Bodies.CalendarEvent(), contentType: "text/xml");
        var large = await app.PutCalendarEventAsync("evt-1", Bodies.CalendarEvent().With("data/attributes/description", new string('d', 50_000)));

        xml.AssertProblem(415);
        large.AssertProblem(413);
        Assert.Contains("/data", large.Pointers);
        await app.AssertNothingStoredOrQueuedAsync();
    }
}
