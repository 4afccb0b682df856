using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// Writes for one externalId apply in their order (the signed webhook-timestamp, then the receive time), whatever order
/// the queue delivers them in and however often they are rescheduled: an older write is recorded as superseded and not
/// sent to Twine (docs/PROCESSING.md, ordering).
/// </summary>
public sealed class CalendarOrderingTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a0c8e27a9d454cc150997f7";
    private const string InstanceRoute = "/calendar_event/{id}";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public CalendarOrderingTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    private static string ExternalId() => "ehr-order-" + Guid.NewGuid().ToString("N")[..10];

    private static readonly int Minute = Random.Shared.Next(0, 60);

    private static JsonObject Event(string title) => (JsonObject)Bodies.CalendarEvent()
        .With("data/attributes/start_at", $"2018-03-21T14:{Minute:D2}:00Z")
        .With("data/attributes/end_at", $"2018-03-21T15:{Minute:D2}:00Z")
        .With("data/attributes/title", title);

    /// <summary>Accepts a write signed at the fake clock's time, then moves the clock on, and returns its queue message.</summary>
    private static async Task<(string Id, string Message)> AcceptAsync(TestApp app, Func<Task<TestResponse>> write)
    {
        var id = (await write()).IngestionId;
        app.Time.Advance(TimeSpan.FromSeconds(10));
        return (id, Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue)));
    }

    private async Task<string?> TitleInTwineAsync(TestApp app, string externalId)
    {
        var link = await app.Links.GetAsync(externalId, CancellationToken.None);
        var events = await app.SandboxEventsAsync(Owner);
        return events.SingleOrDefault(e => e.Id == link?.TwineId)?.Attributes?.Title;
    }

    [Fact]
    public async Task An_older_put_rescheduled_behind_a_newer_one_is_superseded_when_it_finally_runs()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (_, create) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("First")));
        var (olderId, older) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("Older")));
        var (newerId, newer) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("Newer")));
        await app.CalendarProcessor().ProcessAsync(create, 1, CancellationToken.None);

        _sandbox.Faults.Add("PATCH", InstanceRoute, FaultKind.ServiceUnavailable, count: 5);
        await app.CalendarProcessor().ProcessAsync(older, 1, CancellationToken.None); // 503: rescheduled
        var rescheduled = app.Retries().Last;
        _sandbox.Faults.Clear();
        app.Time.Advance(TimeSpan.FromMinutes(10)); // past the instance's Twine pause
        await app.CalendarProcessor().ProcessAsync(newer, 1, CancellationToken.None);
        await app.CalendarProcessor().ProcessAsync(rescheduled, 1, CancellationToken.None);

        Assert.Equal("Newer", await TitleInTwineAsync(app, externalId));
        var olderRecord = (await app.Store.GetAsync(olderId, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 1, 0, 0), (olderRecord.Status, olderRecord.Superseded, olderRecord.Created, olderRecord.Failed));
        Assert.Equal((IngestionStatus.Succeeded, 1), ((await app.Store.GetAsync(newerId, CancellationToken.None))!.Status, (await app.Store.GetAsync(newerId, CancellationToken.None))!.Created));
        var status = await app.GetStatusAsync(olderId);
        Assert.Equal(1, status.Json["counts"]!["superseded"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_put_older_than_a_delete_that_ran_does_not_bring_the_event_back()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (_, create) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("Created")));
        var (lateId, latePut) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("Late")));
        var (_, delete) = await AcceptAsync(app, () => app.DeleteCalendarEventAsync(externalId));

        await app.CalendarProcessor().ProcessAsync(create, 1, CancellationToken.None);
        await app.CalendarProcessor().ProcessAsync(delete, 1, CancellationToken.None);
        var creates = _sandbox.RequestCount("POST", "/calendar_event");
        await app.CalendarProcessor().ProcessAsync(latePut, 1, CancellationToken.None);

        Assert.Equal(creates, _sandbox.RequestCount("POST", "/calendar_event"));
        Assert.Null(await TitleInTwineAsync(app, externalId));
        Assert.Equal(1, (await app.Store.GetAsync(lateId, CancellationToken.None))!.Superseded);
    }

    [Fact]
    public async Task A_delete_older_than_an_applied_put_leaves_the_event_as_the_put_made_it()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (_, create) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("Created")));
        var (deleteId, delete) = await AcceptAsync(app, () => app.DeleteCalendarEventAsync(externalId));
        var (_, update) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("Updated")));

        await app.CalendarProcessor().ProcessAsync(create, 1, CancellationToken.None);
        await app.CalendarProcessor().ProcessAsync(update, 1, CancellationToken.None);
        await app.CalendarProcessor().ProcessAsync(delete, 1, CancellationToken.None);

        Assert.Equal("Updated", await TitleInTwineAsync(app, externalId));
        Assert.Equal(0, _sandbox.RequestCount("DELETE", InstanceRoute));
        Assert.Equal(1, (await app.Store.GetAsync(deleteId, CancellationToken.None))!.Superseded);
    }

    [Fact]
    public async Task The_same_write_delivered_again_is_not_superseded_by_itself()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (id, create) = await AcceptAsync(app, () => app.PutCalendarEventAsync(externalId, Event("Once")));

        await app.CalendarProcessor().ProcessAsync(create, 1, CancellationToken.None);
        await app.CalendarProcessor().ProcessAsync(create, 2, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 1, 0), (record.Status, record.Created, record.Superseded));
        Assert.Equal("Once", await TitleInTwineAsync(app, externalId));
    }

    [Fact]
    public async Task The_order_travels_in_the_message_and_survives_a_reschedule_verbatim()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var signedAt = app.Time.GetUtcNow().ToUnixTimeSeconds();
        var (_, message) = await AcceptAsync(app, () => app.PutCalendarEventAsync(ExternalId(), Event("Carried")));

        var parsed = CalendarEventMessageParser.Parse(message);

        Assert.Equal(signedAt, parsed.Message!.Order!.SignedAt);
        _sandbox.Faults.Add("POST", "/calendar_event", FaultKind.ServiceUnavailable, count: 5);
        await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None);
        Assert.Equal(parsed.Message.Order, CalendarEventMessageParser.Parse(app.Retries().Last, app.Time.GetUtcNow()).Message!.Order);
    }
}
