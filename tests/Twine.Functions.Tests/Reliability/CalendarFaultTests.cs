using System.Globalization;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// Calendar events, whose create Twine does not deduplicate, through the same at-least-once driver: server errors on
/// the create and every message delivered twice. Each externalId ends as exactly one event in Twine.
/// </summary>
public sealed class CalendarFaultTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a0c8e27a9d454cc150997f7";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public CalendarFaultTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Fact]
    public async Task Calendar_events_survive_server_errors_and_duplicate_deliveries_with_one_event_each()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var day = new DateTimeOffset(2018, 3, 1, 14, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 300));
        var starts = new HashSet<DateTimeOffset>();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var start = day.AddMinutes(7 * i);
            starts.Add(start);
            var body = Bodies.CalendarEvent()
                .With("data/attributes/start_at", start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
                .With("data/attributes/end_at", start.AddMinutes(5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            var response = await app.PutCalendarEventAsync($"ehr-appt-{Guid.NewGuid():N}"[..20], body);
            Assert.Equal(202, response.Status);
            ids.Add(response.IngestionId);
        }

        _sandbox.Faults.Add("POST", "/calendar_event", FaultKind.InternalServerError, count: 3);
        _sandbox.Faults.Add("POST", "/calendar_event", FaultKind.DropConnection, count: 2);
        var host = app.CalendarHost(batchSize: 1, deliverEveryMessageTwice: true);
        await host.RunUntilDrainedAsync(cancellationToken: ct);
        _sandbox.Faults.Clear();

        var events = (await app.SandboxEventsAsync(Owner)).Where(e => e.Attributes?.StartAt is { } s && starts.Contains(s)).ToList();
        Assert.Equal(starts.Count, events.Count); // one event per externalId: none lost, none created twice
        var statuses = new List<IngestionStatus>();
        foreach (var id in ids)
        {
            statuses.Add((await app.Store.GetAsync(id, ct))!.Status);
        }

        Assert.All(statuses, s => Assert.Equal(IngestionStatus.Succeeded, s));
        Assert.True(host.Failures >= 1);
        Assert.Equal(0, host.Poisoned);
        Assert.Equal(0, _sandbox.RequestCount("PATCH", "/calendar_event/{id}")); // a delivery after the outcome was recorded does not call Twine
        var kinds = string.Join(", ", host.FailureKinds.GroupBy(k => k).Select(g => $"{g.Count()}× {g.Key}"));
        ReliabilityApp.Report(
            $"| calendar events: 500, dropped connection, duplicate deliveries | 3 × 500 then 2 × connection aborted on POST /calendar_event; every message delivered twice | " +
            $"{starts.Count} events | {events.Count} (×1) | {statuses.Count} Succeeded; all **succeeded** | {host.Deliveries} / {host.Failures} ({kinds}) / {host.Poisoned} | {starts.Count - events.Count} |");
    }
}
