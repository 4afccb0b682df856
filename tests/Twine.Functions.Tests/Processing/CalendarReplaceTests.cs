using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// A PUT replaces: Twine ends with exactly the partner's event. Attributes the new document leaves out are cleared the
/// way Twine clears them (docs/SANDBOX.md, clearing); a changed <c>type</c> (immutable in Twine) deletes the event and
/// creates it again.
/// </summary>
public sealed class CalendarReplaceTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a1000000000000000000006";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public CalendarReplaceTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    private static string ExternalId() => "ehr-replace-" + Guid.NewGuid().ToString("N")[..10];

    private static JsonObject Full() => (JsonObject)Bodies.CalendarEvent()
        .With("data/relationships/owner/data/id", Owner)
        .With("data/attributes/location", "Room 4")
        .With("data/attributes/description", "Bring the readings")
        .With("data/attributes/start_at", "2018-05-02T14:00:00Z")
        .With("data/attributes/end_at", "2018-05-02T15:00:00Z");

    private static async Task<(string Id, Twine.Client.Models.CalendarEventResource Event)> ApplyAsync(TestApp app, string externalId, JsonObject body)
    {
        var id = (await app.PutCalendarEventAsync(externalId, body)).IngestionId;
        app.Time.Advance(TimeSpan.FromSeconds(5));
        await app.CalendarProcessor().ProcessAsync(Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue)), 1, CancellationToken.None);
        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        return (id, (await app.Twine().FetchCalendarEventAsync(link.TwineId!, TestContext.Current.CancellationToken)).Data!);
    }

    [Fact]
    public async Task A_put_without_the_optional_attributes_clears_them_in_twine()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (_, before) = await ApplyAsync(app, externalId, Full());
        Assert.Equal(("Room 4", "America/New_York", 2), (before.Attributes!.Location, before.Attributes.TimeZone, before.Attributes.Attendees!.Count));

        // All day now: no end, no time zone, no location, description or attendees.
        var bare = (JsonObject)Bodies.CalendarEvent().With("data/relationships/owner/data/id", Owner);
        var attributes = bare["data"]!["attributes"]!.AsObject();
        foreach (var name in new[] { "time_zone", "end_at", "attendees" })
        {
            attributes.Remove(name);
        }

        attributes["all_day"] = true;
        attributes["start_at"] = "2018-05-02T00:00:00Z";
        attributes["attendees"] = new JsonArray();
        var (id, after) = await ApplyAsync(app, externalId, bare);

        Assert.Equal(before.Id, after.Id);
        var a = after.Attributes!;
        Assert.Equal((null, null, null, null, true), (a.Location, a.Description, a.EndAt, a.TimeZone, a.AllDay));
        Assert.Empty(a.Attendees ?? []);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);

        // And back: all_day left out is false again.
        var (_, again) = await ApplyAsync(app, externalId, (JsonObject)Full().With("data/attributes/all_day", null));
        Assert.Equal((false, "Room 4"), (again.Attributes!.AllDay, again.Attributes.Location));
    }

    [Fact]
    public async Task A_put_without_completion_un_completes_a_plan_check_in()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var completed = (JsonObject)Bodies.PlanCheckIn().With("data/relationships/owner/data/id", Owner)
            .With("data/attributes/start_at", "2018-06-03T04:00:00.000Z")
            .With("data/attributes/completed_at", "2018-06-03T16:00:00Z")
            .With("data/attributes/completed_by", "5a0c8e27a9d454cc150997c9");
        var (_, before) = await ApplyAsync(app, externalId, completed);
        Assert.NotNull(before.Attributes!.CompletedAt);

        var (_, after) = await ApplyAsync(app, externalId, (JsonObject)completed.DeepClone()
            .With("data/attributes/completed_at", null).With("data/attributes/completed_by", null));

        Assert.Equal((null, null), (after.Attributes!.CompletedAt, after.Attributes.CompletedBy));
    }

    [Fact]
    public async Task A_put_that_changes_the_type_deletes_the_event_and_creates_it_again()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (_, before) = await ApplyAsync(app, externalId, Full());

        var (id, after) = await ApplyAsync(app, externalId, (JsonObject)Full().With("data/attributes/type", "video-call"));

        Assert.NotEqual(before.Id, after.Id);
        Assert.Equal(("video-call", "Room 4"), (after.Attributes!.Type, after.Attributes.Location));
        Assert.DoesNotContain(await app.SandboxEventsAsync(Owner), e => e.Id == before.Id);
        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        Assert.Equal((CalendarEventLinkStore.Linked, after.Id, "video-call", null), (link.State, link.TwineId, link.EventType, link.ReplacesTwineId));
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, after.Id), (record.Status, Assert.Single(record.TwineIds)));
    }

    [Fact]
    public async Task A_link_written_before_the_type_was_kept_reads_the_type_from_twine()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (_, before) = await ApplyAsync(app, externalId, Full());
        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        link.EventType = null; // as an older build wrote it
        Assert.True(await app.Links.TryUpdateAsync(link, link.State, link.TwineId, CancellationToken.None));

        var (_, same) = await ApplyAsync(app, externalId, (JsonObject)Full().With("data/attributes/title", "Same type"));
        Assert.Equal((before.Id, "Same type"), (same.Id, same.Attributes!.Title));
        var (_, changed) = await ApplyAsync(app, externalId, (JsonObject)Full().With("data/attributes/type", "office-visit"));
        Assert.NotEqual(before.Id, changed.Id);
    }
}
