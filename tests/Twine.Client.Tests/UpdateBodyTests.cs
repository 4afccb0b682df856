using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Twine.Client.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client.Models;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

/// <summary>
/// A caller that fetches a resource, changes it and sends it back must not send what Twine wrote: PATCH bodies (recorded
/// on their way to the sandbox) hold only the spec's writable attributes and relationship data, no links, no
/// created_at/updated_at, archived, archive_history or other read-only attributes.
/// </summary>
public sealed class UpdateBodyTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<JsonObject> _patches = new();
    private TwineTestHost _host = null!;

    private ITwineClient Client => _host.Client;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _host = await TwineTestHost.StartAsync(http: b => b.AddHttpMessageHandler(() => new TamperingHandler(async request =>
        {
            if (request.Method == HttpMethod.Patch && request.Content is not null)
            {
                _patches.Enqueue(JsonNode.Parse(await request.Content.ReadAsStringAsync(Ct))!.AsObject());
            }
        })));

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private JsonObject SinglePatchData()
    {
        var body = Assert.Single(_patches);
        Assert.Equal(["data"], body.Select(p => p.Key));
        var data = body["data"]!.AsObject();
        Assert.All(data, member => Assert.Contains(member.Key, new[] { "type", "id", "attributes", "relationships" }));
        if (data["relationships"] is JsonObject relationships)
        {
            Assert.All(relationships, r => Assert.Equal(["data"], r.Value!.AsObject().Select(m => m.Key)));
        }

        return data;
    }

    private static List<string> AttributeNames(JsonObject data) => data["attributes"]!.AsObject().Select(a => a.Key).ToList();

    [Fact]
    public async Task A_fetched_patient_sent_back_carries_only_writable_attributes_and_relationship_data()
    {
        var patient = (await Client.FetchPatientAsync(Seed.Patient, Ct)).Data!;
        // What Twine wrote is on the fetched resource, so sending it back whole would send it.
        Assert.NotNull(patient.Links?.Self);
        Assert.NotNull(patient.Relationships?.Groups?.Links?.Related);
        Assert.NotNull(patient.Attributes!.CreatedAt);
        Assert.NotNull(patient.Attributes.Archived);
        Assert.NotNull(patient.Attributes.ArchiveHistory);

        patient.Attributes.FirstName = "Jonathon";
        var updated = await Client.UpdatePatientAsync(patient, Ct);

        var data = SinglePatchData();
        Assert.Equal("patient", (string?)data["type"]);
        Assert.Equal(Seed.Patient, (string?)data["id"]);
        Assert.Equal("Jonathon", (string?)data["attributes"]!["first_name"]);
        Assert.Equal(["addresses", "birth_date", "email_address", "first_name", "gender", "identifiers", "last_name", "phone_numbers"],
            AttributeNames(data).Order(StringComparer.Ordinal));
        Assert.Equal([Seed.GroupPatientsLead, Seed.GroupTeamHealth],
            data["relationships"]!["groups"]!["data"]!.AsArray().Select(g => (string)g!["id"]!));
        Assert.Equal(true, (bool?)data["relationships"]!["coaches"]!["data"]![0]!["meta"]!["primary"]);

        Assert.Equal("Jonathon", updated.Data!.Attributes!.FirstName);
        Assert.Equal([Seed.GroupPatientsLead, Seed.GroupTeamHealth], updated.Data.Relationships!.Groups!.Ids);
    }

    [Fact]
    public async Task A_fetched_action_and_bundle_sent_back_leave_out_links_and_read_only_attributes()
    {
        var action = (await Client.FetchActionAsync(Seed.Action, Ct)).Data!;
        Assert.NotNull(action.Links?.Self);
        action.Attributes!.Title = "Weigh in weekly";
        action.Attributes.StaticTitle = "read-only";
        action.Attributes.Adherence = new ActionAdherence { Due = 3, Complete = 1 };
        await Client.UpdateActionAsync(action, Ct);

        var data = SinglePatchData();
        Assert.Equal("Weigh in weekly", (string?)data["attributes"]!["title"]);
        Assert.DoesNotContain("static_title", AttributeNames(data));
        Assert.DoesNotContain("adherence", AttributeNames(data));
        Assert.Contains("effective_from", AttributeNames(data));
        _patches.Clear();

        var bundle = (await Client.FetchBundleAsync(Seed.Bundle, Ct)).Data!;
        Assert.NotNull(bundle.Links?.Self);
        bundle.Attributes!.Title = "Weight plan v3";
        var updated = await Client.UpdateBundleAsync(bundle, Ct);

        data = SinglePatchData();
        Assert.All(AttributeNames(data), name => Assert.Contains(name, new[] { "type", "title", "effective_from", "effective_to", "_thread" }));
        Assert.Equal("Weight plan v3", updated.Data!.Attributes!.Title);
    }

    [Fact]
    public async Task A_calendar_event_update_built_from_a_fetched_event_sends_no_links()
    {
        var fetched = (await Client.FetchCalendarEventAsync(Seed.CalendarEvent, Ct)).Data!;
        var update = new CalendarEventUpdateResource
        {
            Id = fetched.Id,
            Links = fetched.Links,
            Relationships = new CalendarEventRelationships
            {
                Owner = new Relationship { Data = fetched.Relationships!.Owner!.Data, Links = new ResourceLinks { Related = "/pub/calendar_event/x/owner" } },
            },
            Attributes = new CalendarEventUpdateAttributes { Title = "Plan Check-In (moved)" }.MarkNotCompleted(),
        };
        Assert.NotNull(update.Links?.Self);

        var updated = await Client.UpdateCalendarEventAsync(update, Ct);

        var data = SinglePatchData();
        Assert.Equal(["completed_at", "completed_by", "title"], AttributeNames(data).Order(StringComparer.Ordinal));
        Assert.Null(data["attributes"]!["completed_at"]); // an explicit null still goes out: it means "not completed"
        Assert.Equal(Seed.Patient, (string?)data["relationships"]!["owner"]!["data"]!["id"]);
        Assert.Equal("Plan Check-In (moved)", updated.Data!.Attributes!.Title);
        Assert.Null(updated.Data.Attributes.CompletedAt);
    }

    [Fact]
    public async Task Settable_attributes_left_unset_are_omitted_and_set_to_null_are_sent_as_null()
    {
        var fetched = (await Client.FetchCalendarEventAsync(Seed.CalendarEvent, Ct)).Data!;
        var attributes = new CalendarEventUpdateAttributes
        {
            Title = "Kept",
            Location = Settable<string?>.Null,
            Description = (string?)null,
            TimeZone = "America/New_York",
        };

        await Client.UpdateCalendarEventAsync(new CalendarEventUpdateResource { Id = fetched.Id, Attributes = attributes }, Ct);

        var sent = SinglePatchData()["attributes"]!.AsObject();
        Assert.Equal(["description", "location", "time_zone", "title"], AttributeNames(SinglePatchDataOf(sent)).Order(StringComparer.Ordinal));
        Assert.True(sent.ContainsKey("location") && sent["location"] is null);
        Assert.True(sent.ContainsKey("description") && sent["description"] is null);
        Assert.Equal("America/New_York", (string?)sent["time_zone"]);
        Assert.False(sent.ContainsKey("end_at"));
    }

    [Fact]
    public async Task ReplaceWith_sends_every_attribute_and_clears_the_ones_the_event_lacks_as_Twine_clears_them()
    {
        var created = (await Client.CreateCalendarEventAsync(new CalendarEventResource
        {
            Attributes = new CalendarEventAttributes
            {
                Type = CalendarEventTypes.TelephoneCall, Title = "Call", TimeZone = "America/New_York", AllDay = false,
                StartAt = new DateTimeOffset(2018, 7, 1, 14, 0, 0, TimeSpan.Zero), EndAt = new DateTimeOffset(2018, 7, 1, 15, 0, 0, TimeSpan.Zero),
                Location = "Room 1", Description = "Notes", Attendees = [CalendarEventAttendee.For(Seed.Patient)],
            },
            Relationships = new CalendarEventRelationships { Owner = Relationship.ToOne(ResourceIdentifier.Patient(Seed.Patient)) },
        }, Ct)).Data!;
        var replacement = new CalendarEventAttributes
        {
            Type = CalendarEventTypes.TelephoneCall, Title = "Call, all day", AllDay = true, StartAt = new DateTimeOffset(2018, 7, 1, 0, 0, 0, TimeSpan.Zero),
        };

        var updated = (await Client.UpdateCalendarEventAsync(new CalendarEventUpdateResource
        {
            Id = created.Id, Attributes = CalendarEventUpdateAttributes.ReplaceWith(replacement),
        }, Ct)).Data!.Attributes!;

        var sent = SinglePatchData()["attributes"]!.AsObject();
        Assert.Equal(["all_day", "attendees", "completed_at", "completed_by", "description", "end_at", "location", "start_at", "time_zone", "title", "type"],
            sent.Select(a => a.Key).Order(StringComparer.Ordinal));
        Assert.All(new[] { "completed_at", "completed_by", "description", "end_at", "location", "time_zone" }, name => Assert.Null(sent[name]));
        Assert.Empty(sent["attendees"]!.AsArray());
        Assert.Equal((null, null, null, null, true), (updated.Location, updated.Description, updated.EndAt, updated.TimeZone, updated.AllDay));
        Assert.Empty(updated.Attendees ?? []);
        Assert.False(CalendarEventUpdateAttributes.ReplaceWith(new CalendarEventAttributes { Title = "t" }).AllDay!.Value);
    }

    private static JsonObject SinglePatchDataOf(JsonObject attributes) => new() { ["attributes"] = attributes.DeepClone() };
}
