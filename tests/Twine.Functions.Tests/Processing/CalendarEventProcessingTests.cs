using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Serialization;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// Calendar events end to end: PUT/DELETE → queue → CalendarEventMessageProcessor → the sandbox → CalendarEventLinks
/// and the ingestion tables. Twine's create is not safe to repeat; these tests count the creates the sandbox received.
/// </summary>
public sealed class CalendarEventProcessingTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a0c8e27a9d454cc150997f7";
    private const string CreateRoute = "/calendar_event";
    private const string InstanceRoute = "/calendar_event/{id}";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public CalendarEventProcessingTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    private static string ExternalId() => "ehr-appt-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The event, starting at a minute of its own so that tests never see each other's events.</summary>
    private static JsonObject Event(string title = "Telephone Call")
    {
        var minute = Random.Shared.Next(0, 60);
        var hour = Random.Shared.Next(13, 17);
        return (JsonObject)Bodies.CalendarEvent()
            .With("data/attributes/start_at", $"2018-02-20T{hour:D2}:{minute:D2}:00Z")
            .With("data/attributes/end_at", $"2018-02-20T{hour + 1:D2}:{minute:D2}:00Z")
            .With("data/attributes/title", title);
    }

    private static async Task<(string IngestionId, string Message)> PutAsync(TestApp app, string externalId, JsonObject body)
    {
        var id = (await app.PutCalendarEventAsync(externalId, body)).IngestionId;
        return (id, Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue)));
    }

    private async Task<List<CalendarEventResource>> EventsLikeAsync(TestApp app, JsonObject body)
    {
        var start = DateTimeOffset.Parse(body["data"]!["attributes"]!["start_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        return [.. (await app.SandboxEventsAsync(Owner)).Where(e => e.Attributes?.StartAt == start)];
    }

    [Fact]
    public async Task The_first_put_creates_the_event_in_twine_and_links_the_external_id()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (id, message) = await PutAsync(app, externalId, body);

        await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        Assert.Equal(CalendarEventLinkStore.Linked, link.State);
        var created = Assert.Single(await EventsLikeAsync(app, body));
        Assert.Equal(created.Id, link.TwineId);
        Assert.Equal("Telephone Call", created.Attributes!.Title);
        Assert.Equal(1, _sandbox.RequestCount("POST", CreateRoute));
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 1), (record.Status, record.Created));
        Assert.Equal([created.Id!], record.TwineIds);
    }

    [Fact]
    public async Task A_second_put_updates_the_linked_event_instead_of_creating_another()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (_, first) = await PutAsync(app, externalId, body);
        await app.CalendarProcessor().ProcessAsync(first, 1, CancellationToken.None);
        var (secondId, second) = await PutAsync(app, externalId, (JsonObject)body.DeepClone().With("data/attributes/title", "Follow-up call"));

        await app.CalendarProcessor().ProcessAsync(second, 1, CancellationToken.None);

        Assert.Equal(1, _sandbox.RequestCount("POST", CreateRoute));
        Assert.Equal(1, _sandbox.RequestCount("PATCH", InstanceRoute));
        var twineId = (await app.Links.GetAsync(externalId, CancellationToken.None))!.TwineId!;
        Assert.Equal("Follow-up call", (await app.Twine().FetchCalendarEventAsync(twineId, TestContext.Current.CancellationToken)).Data!.Attributes!.Title);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(secondId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_redelivery_after_twine_created_the_event_but_the_link_was_not_recorded_adopts_it()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (id, message) = await PutAsync(app, externalId, body);
        // The first delivery claimed the link and created the event, then stopped before storing the Twine id.
        Assert.NotNull(await app.Links.TryClaimAsync(externalId, id, CancellationToken.None));
        var earlier = JsonSerializer.Deserialize(body["data"]!.ToJsonString(), TwineJsonContext.Default.CalendarEventResource)!;
        var earlierId = (await app.Twine().CreateCalendarEventAsync(earlier, TestContext.Current.CancellationToken)).Data!.Id!;
        app.Time.Advance(TimeSpan.FromSeconds(30)); // the redelivery comes after the visibility timeout

        await app.CalendarProcessor().ProcessAsync(message, 2, CancellationToken.None);

        Assert.Equal(1, _sandbox.RequestCount("POST", CreateRoute)); // only the earlier attempt's create
        Assert.Equal(earlierId, Assert.Single(await EventsLikeAsync(app, body)).Id);
        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        Assert.Equal((CalendarEventLinkStore.Linked, earlierId), (link.State, link.TwineId));
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, earlierId), (record.Status, Assert.Single(record.TwineIds)));
    }

    [Fact]
    public async Task A_redelivery_after_a_failed_create_finds_nothing_and_creates_the_event_once()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (id, message) = await PutAsync(app, externalId, body);
        _sandbox.Faults.Add("POST", CreateRoute, FaultKind.ServiceUnavailable);

        await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None); // rescheduled
        var claimed = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        var rescheduled = Assert.Single(app.Retries().Sent);
        app.Time.Advance(rescheduled.Delay);
        await app.CalendarProcessor().ProcessAsync(rescheduled.Text, 1, CancellationToken.None);

        Assert.Equal((CalendarEventLinkStore.Claimed, null), (claimed.State, claimed.TwineId));
        Assert.Single(await EventsLikeAsync(app, body));
        Assert.Equal(2, _sandbox.RequestCount("POST", CreateRoute)); // the refused one and the one that created it
        Assert.Equal(CalendarEventLinkStore.Linked, (await app.Links.GetAsync(externalId, CancellationToken.None))!.State);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task An_upsert_delivered_twice_creates_one_event_and_leaves_the_tables_as_one_delivery()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (_, message) = await PutAsync(app, externalId, body);

        await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None);
        var once = await app.SnapshotAsync();
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.CalendarProcessor().ProcessAsync(message, 2, CancellationToken.None);

        Assert.Equal(once, await app.SnapshotAsync());
        Assert.Single(await EventsLikeAsync(app, body));
        Assert.Equal(0, _sandbox.RequestCount("PATCH", InstanceRoute));
    }

    [Fact]
    public async Task Another_ingestions_fresh_claim_is_waited_for_and_a_stale_one_taken_over()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (id, message) = await PutAsync(app, externalId, body);
        Assert.NotNull(await app.Links.TryClaimAsync(externalId, IngestionId.New(app.Time), CancellationToken.None)); // an earlier PUT's create, unfinished

        await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None); // rescheduled: the claim is fresh
        Assert.Equal("the calendar event link is busy with another delivery", (await app.Store.GetAsync(id, CancellationToken.None))!.Retry!.LastError);
        app.Time.Advance(CalendarEventMessageProcessor.ClaimLease);
        await app.CalendarProcessor().ProcessAsync(app.Retries().Last, 1, CancellationToken.None);

        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        Assert.Equal((CalendarEventLinkStore.Linked, id), (link.State, link.ClaimedByIngestionId));
        Assert.Single(await EventsLikeAsync(app, body));
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_put_after_a_delete_creates_the_event_again()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (_, put) = await PutAsync(app, externalId, body);
        await app.CalendarProcessor().ProcessAsync(put, 1, CancellationToken.None);
        await app.DeleteCalendarEventAsync(externalId);
        await app.CalendarProcessor().ProcessAsync(Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue)), 1, CancellationToken.None);
        var (againId, again) = await PutAsync(app, externalId, body);

        await app.CalendarProcessor().ProcessAsync(again, 1, CancellationToken.None);

        var recreated = Assert.Single(await EventsLikeAsync(app, body));
        Assert.Equal(2, _sandbox.RequestCount("POST", CreateRoute));
        Assert.Equal((CalendarEventLinkStore.Linked, recreated.Id), ((await app.Links.GetAsync(externalId, CancellationToken.None))!.State, (await app.Links.GetAsync(externalId, CancellationToken.None))!.TwineId));
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(againId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_create_twine_rejects_is_recorded_and_releases_the_claim()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = (JsonObject)Event().With("data/attributes/attendees/0/user", "5a0c8e27a9d454cc15099999"); // no such coach
        var (id, message) = await PutAsync(app, externalId, body);

        await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Failed, 1), (record.Status, record.Failed));
        var error = Assert.Single(record.Errors);
        Assert.False(string.IsNullOrEmpty(error.ReqId));
        Assert.Null(await app.Links.GetAsync(externalId, CancellationToken.None)); // a corrected PUT can claim it again
    }

    [Fact]
    public async Task Delete_deletes_the_linked_event_once_and_marks_the_link_deleted()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (_, put) = await PutAsync(app, externalId, body);
        await app.CalendarProcessor().ProcessAsync(put, 1, CancellationToken.None);
        var deleteId = (await app.DeleteCalendarEventAsync(externalId)).IngestionId;
        var delete = Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue));

        await app.CalendarProcessor().ProcessAsync(delete, 1, CancellationToken.None);
        await app.CalendarProcessor().ProcessAsync(delete, 2, CancellationToken.None); // delivered twice

        Assert.Equal(1, _sandbox.RequestCount("DELETE", InstanceRoute));
        Assert.Empty(await EventsLikeAsync(app, body));
        Assert.Equal(CalendarEventLinkStore.Deleted, (await app.Links.GetAsync(externalId, CancellationToken.None))!.State);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(deleteId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_delete_redelivered_after_twine_deleted_the_event_succeeds()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var (_, put) = await PutAsync(app, externalId, Event());
        await app.CalendarProcessor().ProcessAsync(put, 1, CancellationToken.None);
        var deleteId = (await app.DeleteCalendarEventAsync(externalId)).IngestionId;
        var delete = Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue));
        // The first delivery marked the link, Twine deleted the event, and the instance stopped.
        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        Assert.True(await app.Links.TryUpdateAsync(link, CalendarEventLinkStore.Deleting, link.TwineId, CancellationToken.None));
        await app.Twine().DeleteCalendarEventAsync(link.TwineId!, TestContext.Current.CancellationToken);

        await app.CalendarProcessor().ProcessAsync(delete, 2, CancellationToken.None);

        Assert.Equal(CalendarEventLinkStore.Deleted, (await app.Links.GetAsync(externalId, CancellationToken.None))!.State);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(deleteId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Delete_of_an_unknown_external_id_is_recorded_as_failed_with_the_reason()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.DeleteCalendarEventAsync(ExternalId())).IngestionId;
        var delete = Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue));

        await app.CalendarProcessor().ProcessAsync(delete, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(IngestionStatus.Failed, record.Status);
        Assert.Equal(CalendarEventMessageProcessor.UnknownExternalIdCode, Assert.Single(record.Errors).Code);
        Assert.Equal(0, _sandbox.RequestCount("DELETE", InstanceRoute));
    }

    [Fact]
    public async Task An_update_of_an_event_deleted_in_twine_records_ResourceNotFound_without_retrying()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = ExternalId();
        var body = Event();
        var (_, first) = await PutAsync(app, externalId, body);
        await app.CalendarProcessor().ProcessAsync(first, 1, CancellationToken.None);
        var twineId = (await app.Links.GetAsync(externalId, CancellationToken.None))!.TwineId!;
        await app.Twine().DeleteCalendarEventAsync(twineId, TestContext.Current.CancellationToken); // deleted in Twine directly
        var (secondId, second) = await PutAsync(app, externalId, body);

        await app.CalendarProcessor().ProcessAsync(second, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(secondId, CancellationToken.None))!;
        Assert.Equal(IngestionStatus.Failed, record.Status);
        Assert.Equal(TwineErrorCodes.ResourceNotFound, Assert.Single(record.Errors).Code);
    }

    [Fact]
    public async Task A_malformed_calendar_message_is_recorded_at_once_without_calling_twine()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var (id, message) = await PutAsync(app, ExternalId(), Event());
        var broken = JsonNode.Parse(message)!.With("operation", "merge").ToJsonString();

        await app.CalendarProcessor().ProcessAsync(broken, 1, CancellationToken.None);

        Assert.Equal(IngestionStatus.Failed, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
        Assert.Equal(0, _sandbox.RequestCount("POST", CreateRoute));
    }

    [Fact]
    public async Task Calendar_processing_logs_carry_the_ingestion_id_and_no_title()
    {
        const string secret = "Dr Appointment for PATIENT-SECRET-88";
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var (id, message) = await PutAsync(app, ExternalId(), Event(secret));
        app.Logs.Clear();

        await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var records = app.Logs.GetSnapshot();
        Assert.Contains(records, r => r.Message.Contains($"Ingestion {id}: Twine created calendar event", StringComparison.Ordinal));
        // The app's and the Twine client's lines (the Azure SDK's forwarded event-source lines are its own).
        Assert.All(records.Where(r => r.Category?.StartsWith("Twine.", StringComparison.Ordinal) == true), r => Assert.True(
            r.Message.Contains(id, StringComparison.Ordinal) || r.Scopes.Any(s => s is IEnumerable<KeyValuePair<string, object>> pairs && pairs.Any(p => Equals(p.Value, id))),
            $"log line without the ingestion id: {r.Category}: {r.Message}"));
        Assert.DoesNotContain(records, r => r.Message.Contains("PATIENT-SECRET", StringComparison.Ordinal)
            || (r.StructuredState ?? []).Any(kv => kv.Value?.Contains("PATIENT-SECRET", StringComparison.Ordinal) == true));
    }
}
