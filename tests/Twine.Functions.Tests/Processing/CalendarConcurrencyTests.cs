using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Twine.Client.Paging;
using Twine.Client.Queries;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Reliability;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// Deliveries of one calendar message, and messages for one externalId, processed at the same moment (on different
/// instances: here concurrent processors of one app, sharing Azurite and the sandbox) leave exactly one event in Twine,
/// linked, with the newest content. No timing assumption: the processors start together, whatever the machine's load
/// decides about their interleaving; what was rescheduled (a busy link) is processed again until nothing is left.
/// </summary>
public sealed class CalendarConcurrencyTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a1000000000000000000004";
    private const int Runs = 50;
    private const int Writes = 3;
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public CalendarConcurrencyTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    /// <summary>A start instant no other run uses (the sandbox is shared by the class).</summary>
    private static DateTimeOffset StartOf(int processors, int run) =>
        new DateTimeOffset(2021, 1, 1, 10, 0, 0, TimeSpan.Zero).AddDays(run).AddMinutes(processors);

    private static JsonObject Event(DateTimeOffset start, string title) => (JsonObject)Bodies.CalendarEvent()
        .With("data/relationships/owner/data/id", Owner)
        .With("data/attributes/attendees", new JsonArray(new JsonObject { ["user"] = "5a0c8e27a9d454cc150997c9" }))
        .With("data/attributes/start_at", start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
        .With("data/attributes/end_at", start.AddMinutes(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
        .With("data/attributes/title", title);

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(20)]
    public async Task Concurrent_processors_leave_one_linked_event_with_the_newest_content(int processors)
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var ct = TestContext.Current.CancellationToken;
        for (var run = 0; run < Runs; run++)
        {
            var externalId = $"ehr-race-{processors}-{run}-" + Guid.NewGuid().ToString("N")[..8];
            var start = StartOf(processors, run);
            var ingestions = new List<string>();
            var messages = new List<string>();
            for (var write = 1; write <= Writes; write++)
            {
                var ingestionId = (await app.PutCalendarEventAsync(externalId, Event(start, $"Version {write}"))).IngestionId;
                ingestions.Add(ingestionId);
                // This PUT's message (a copy an earlier run rescheduled, already processed from the recording, may have
                // become visible meanwhile on a slow machine: it is taken and dropped here).
                messages.Add(Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue),
                    m => JsonNode.Parse(m)!["ingestionId"]!.GetValue<string>() == ingestionId));
                app.Time.Advance(TimeSpan.FromSeconds(1));
            }

            // Twine answers the first create late: the other processors run while it is under way.
            _sandbox.Faults.Add("POST", "/calendar_event", FaultKind.Delay, count: 1, delay: TimeSpan.FromMilliseconds(20));
            // Every message delivered at least once, and most of them several times, all at the same moment.
            var deliveries = Enumerable.Range(0, processors).Select(i => messages[(i + run) % Writes]).ToList();
            var reschedulesBefore = app.Retries().Sent.Count;
            await Task.WhenAll(deliveries.Select(text => Task.Run(() => app.CalendarProcessor().ProcessAsync(text, 1, ct), ct)));
            if (processors < Writes)
            {
                // Messages that had no delivery of their own yet come now (the queue delivers every message).
                await Task.WhenAll(messages.Except(deliveries).Select(text => app.CalendarProcessor().ProcessAsync(text, 1, ct)));
            }

            await DrainReschedulesAsync(app, reschedulesBefore, ct);

            var events = await app.Twine().FetchCalendarEventsPagesAsync(new CalendarEventQuery
            {
                Patient = Owner,
                StartAt = new DateRange(start, start.AddMilliseconds(1)),
                PageLimit = 50,
            }, ct).ResourcesAsync(ct).ToListAsync(ct);
            var only = Assert.Single(events);
            Assert.Equal($"Version {Writes}", only.Attributes!.Title);
            var link = (await app.Links.GetAsync(externalId, ct))!;
            Assert.Equal((CalendarEventLinkStore.Linked, only.Id, null), (link.State, link.TwineId, link.LeaseToken));
            foreach (var id in ingestions)
            {
                Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, ct))!.Status);
            }
        }
    }

    /// <summary>
    /// A create that outlives the lease: the first delivery's create waits in the sandbox (latency on the fake clock)
    /// while the lease runs out and a second delivery of the same message takes the link over, finds nothing and creates;
    /// when the first create finally lands, its delivery cannot link it and deletes it again.
    /// </summary>
    [Fact]
    public async Task A_create_that_outlives_its_lease_is_deleted_again_when_another_delivery_took_the_link_over()
    {
        var options = new SandboxOptions { Port = 0, TimeProvider = _sandboxTime };
        await using var latent = await SandboxServer.StartAsync(options, TestContext.Current.CancellationToken);
        // The app's clock moves past the lease; the Twine client's own timers (attempt timeout) run in real time, as a
        // stalled instance's would not fire either.
        await using var app = ProcessingApp.Create(_azurite, latent, services =>
        {
            var clock = (FakeTimeProvider)services.First(d => d.ServiceType == typeof(TimeProvider)).ImplementationInstance!;
            services.AddSingleton<TimeProvider>(new FakeClockRealTimers(clock));
        });
        var ct = TestContext.Current.CancellationToken;
        var externalId = "ehr-stall-" + Guid.NewGuid().ToString("N")[..8];
        var start = StartOf(0, 0);
        await app.PutCalendarEventAsync(externalId, Event(start, "Stalled"));
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue));
        _ = await app.Twine().FetchCoachAsync("5a0c8e27a9d454cc150997c9", ct); // the token, before latency is on

        options.Latency = TimeSpan.FromSeconds(10);
        var first = Task.Run(() => app.CalendarProcessor().ProcessAsync(message, 1, ct), ct);
        await latent.WaitForDelayedRequestsAsync(1, ct); // the first delivery's create is in Twine's hands
        options.Latency = TimeSpan.Zero;
        app.Time.Advance(CalendarEventLinkStore.Lease); // ... for longer than the lease
        await app.CalendarProcessor().ProcessAsync(message, 2, ct); // the host delivers the message again: takes over, creates, links
        _sandboxTime.Advance(TimeSpan.FromSeconds(10)); // the first create lands now
        await first;

        var events = await app.Twine().FetchCalendarEventsPagesAsync(new CalendarEventQuery
        {
            Patient = Owner,
            StartAt = new DateRange(start, start.AddMilliseconds(1)),
            PageLimit = 50,
        }, ct).ResourcesAsync(ct).ToListAsync(ct);
        var only = Assert.Single(events);
        Assert.Equal(2, latent.RequestCount("POST", "/calendar_event"));
        Assert.Equal(1, latent.RequestCount("DELETE", "/calendar_event/{id}")); // the first delivery's event, deleted again
        Assert.Equal(only.Id, (await app.Links.GetAsync(externalId, ct))!.TwineId);
    }

    private readonly FakeTimeProvider _sandboxTime = new(TestApp.Start);

    /// <summary>Processes what was rescheduled (a busy link), concurrently, until nothing new is rescheduled.</summary>
    private static async Task DrainReschedulesAsync(TestApp app, int from, CancellationToken ct)
    {
        for (var round = 0; ; round++)
        {
            Assert.True(round < 50, "reschedules did not settle");
            var pending = app.Retries().Sent.Skip(from).ToList();
            if (pending.Count == 0)
            {
                return;
            }

            from += pending.Count;
            await Task.WhenAll(pending.Select(r => Task.Run(() => app.CalendarProcessor().ProcessAsync(r.Text, 1, ct), ct)));
        }
    }
}
