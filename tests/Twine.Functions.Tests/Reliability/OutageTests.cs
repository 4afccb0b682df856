using System.Globalization;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// A two-hour Twine outage, simulated: the sandbox answers 503 to every call while 10 metrics ingestions (1,000 metrics)
/// and 20 calendar writes are processed through the real queues on Azurite; the app's clock (a FakeTimeProvider) is moved
/// from one reschedule to the next by the at-least-once driver, which makes each rescheduled message visible when its
/// time comes. Then Twine recovers. Everything must end in Twine exactly once, nothing poisoned, every ingestion
/// succeeded, and Twine must have received only a bounded number of calls during the outage (counted in the sandbox).
/// </summary>
public sealed class OutageTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a0c8e27a9d454cc150997f7";
    private static readonly TimeSpan Outage = TimeSpan.FromHours(2);

    /// <summary>Every route processing calls: metrics create, calendar create/search/update/delete, and the token endpoint.</summary>
    private static readonly (string Method, string Route)[] TwineRoutes =
    [
        ("POST", "/patient_health_metric"),
        ("POST", "/calendar_event"),
        ("GET", "/calendar_event"),
        ("PATCH", "/calendar_event/{id}"),
        ("DELETE", "/calendar_event/{id}"),
        ("POST", "/oauth/token"),
    ];

    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public OutageTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_two_hour_outage_ends_with_everything_delivered_once_and_nothing_poisoned(bool tokenEndpointDown)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);

        // 10 ingestions of 100 metrics (one message each) and 20 calendar PUTs (20 messages), accepted before the outage.
        var metricIds = new List<string>();
        var instants = new HashSet<DateTimeOffset>();
        for (var i = 0; i < 10; i++)
        {
            var (body, mine) = ReliabilityApp.Metrics(100);
            var response = await app.PostMetricsAsync(body);
            Assert.Equal(202, response.Status);
            metricIds.Add(response.IngestionId);
            instants.UnionWith(mine);
        }

        var day = new DateTimeOffset(2018, 6, 1, 9, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 300));
        var starts = new HashSet<DateTimeOffset>();
        var calendarIds = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var start = day.AddMinutes(10 * i);
            starts.Add(start);
            var body = Bodies.CalendarEvent()
                .With("data/attributes/start_at", start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
                .With("data/attributes/end_at", start.AddMinutes(5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            var response = await app.PutCalendarEventAsync($"outage-{Guid.NewGuid():N}"[..24], body);
            Assert.Equal(202, response.Status);
            calendarIds.Add(response.IngestionId);
        }

        // Twine goes down.
        var before = _sandbox.RequestCounts();
        var outageEnds = app.Time.GetUtcNow() + Outage;
        foreach (var (method, route) in TwineRoutes.Where(r => tokenEndpointDown || r.Route != "/oauth/token"))
        {
            _sandbox.Faults.Add(method, route, FaultKind.ServiceUnavailable, count: 1_000_000);
        }

        IReadOnlyDictionary<string, int>? during = null;
        JsonNode? statusDuringOutage = null;
        async Task ClockMoved(DateTimeOffset now)
        {
            if (statusDuringOutage is null && now >= outageEnds - TimeSpan.FromHours(1))
            {
                statusDuringOutage = (await app.GetStatusAsync(metricIds[0])).Json;
            }

            if (during is null && now >= outageEnds)
            {
                during = _sandbox.RequestCounts(); // Twine recovers
                _sandbox.Faults.Clear();
            }
        }

        var metricsHost = app.MetricsHost(clockMoved: ClockMoved);
        var calendarHost = app.CalendarHost(clockMoved: ClockMoved);
        await AtLeastOnceQueueHost.RunTogetherUntilDrainedAsync([metricsHost, calendarHost], maxRounds: 2000, cancellationToken: ct);

        // The outage was simulated in full, and the app waited it out.
        Assert.NotNull(during);
        var callsDuringOutage = during.Sum(kv => kv.Value - before.GetValueOrDefault(kv.Key));
        var byRoute = string.Join(", ", during.Where(kv => kv.Value > before.GetValueOrDefault(kv.Key))
            .Select(kv => $"{kv.Key} {kv.Value - before.GetValueOrDefault(kv.Key)}"));
        Assert.Equal("retrying", statusDuringOutage!["status"]!.GetValue<string>());
        Assert.True(statusDuringOutage["retry"]!["attempt"]!.GetValue<int>() >= 3);
        // Twine's 503, or the client's own circuit breaker, opened by those 503s (on a loaded machine it may open first).
        Assert.Matches("503|CircuitOpen", statusDuringOutage["retry"]!["lastError"]!.GetValue<string>());

        // Every metric and every event in Twine exactly once.
        var (distinct, total) = await ReliabilityApp.CountInTwineAsync(_sandbox, instants);
        Assert.Equal((1000, 1000), (distinct, total));
        var events = (await app.SandboxEventsAsync(Owner)).Where(e => e.Attributes?.StartAt is { } s && starts.Contains(s)).ToList();
        Assert.Equal(20, events.Count);
        Assert.Equal(20, events.Select(e => e.Attributes!.StartAt).Distinct().Count());

        // Nothing poisoned, nothing left queued, every ingestion succeeded.
        Assert.Equal((0, 0), (metricsHost.Poisoned, calendarHost.Poisoned));
        Assert.Equal((0, 0), (metricsHost.Thrown, calendarHost.Thrown));
        foreach (var queue in new[] { app.Names.MetricsQueue, app.Names.CalendarEventsQueue })
        {
            Assert.Equal(0, await ReliabilityApp.QueueCountAsync(app.ConnectionString, queue));
            Assert.Equal(0, await ReliabilityApp.QueueCountAsync(app.ConnectionString, queue + "-poison"));
        }

        foreach (var id in metricIds.Concat(calendarIds))
        {
            var record = (await app.Store.GetAsync(id, ct))!;
            Assert.Equal((IngestionStatus.Succeeded, null), (record.Status, record.Retry));
        }

        // Bounded: the instance's circuit lets one probe through per pause instead of every message calling Twine.
        var reschedules = metricsHost.Rescheduled + calendarHost.Rescheduled;
        var afterRecovery = app.Retries().Sent.Where(r => r.DueAt - r.Delay >= outageEnds).ToList();
        Assert.InRange(callsDuringOutage, 1, 150);
        ReliabilityApp.Report(
            $"Outage: {Outage.TotalHours:0} h of 503 on {(tokenEndpointDown ? "every Twine route" : "every route but POST /oauth/token")}; 10 metrics ingestions (1,000 metrics, 10 messages) and 20 calendar PUTs; " +
            $"{callsDuringOutage} calls reached Twine during the outage ({byRoute}); {reschedules} reschedules; " +
            $"{metricsHost.Deliveries + calendarHost.Deliveries} deliveries; {afterRecovery.Count} reschedules after Twine recovered; all delivered {app.Time.GetUtcNow() - outageEnds:h\\:mm} (simulated) after Twine recovered; " +
            $"1,000 metrics and 20 events in Twine once each; 30 ingestions succeeded; 0 poisoned.");
    }

    [Fact]
    public async Task A_permanent_4xx_is_recorded_at_once_not_retried_for_a_day()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var (body, _) = ReliabilityApp.Metrics(5, patientId: "5a10000000000000000000ff"); // a patient Twine does not know
        var id = (await app.PostMetricsAsync(body)).IngestionId;
        var started = app.Time.GetUtcNow();

        var host = app.MetricsHost();
        await host.RunUntilDrainedAsync(cancellationToken: ct);

        var record = (await app.Store.GetAsync(id, ct))!;
        Assert.Equal((IngestionStatus.Failed, 5, null), (record.Status, record.Failed, record.Retry));
        Assert.NotEmpty(record.Errors);
        Assert.DoesNotContain(record.Errors, e => e.Code is "RetriesExhausted" or "PoisonMessage");
        Assert.Equal((1, 0, 0), (host.Deliveries, host.Rescheduled, host.Poisoned));
        Assert.Equal(1, _sandbox.RequestCount("POST", "/patient_health_metric"));
        Assert.Equal(started, app.Time.GetUtcNow()); // recorded at once: no simulated time passed
    }
}
