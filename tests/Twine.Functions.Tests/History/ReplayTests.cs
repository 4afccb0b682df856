using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Replay;

namespace Twine.Functions.Tests.History;

/// <summary>
/// Replay end to end: the edge, the Azurite queues, the processors and the sandbox. A failure is made the way it happens
/// (Twine answers 503, the message is rescheduled, then the host gives up and the poison handler records it), the fault is
/// cleared, the ingestion replayed, the replayed message processed.
/// </summary>
public sealed class ReplayTests : IClassFixture<SandboxFixture>
{
    private const string MetricsRoute = "/patient_health_metric";
    private const string CalendarRoute = "/calendar_event";
    private const string Owner = "5a0c8e27a9d454cc150997f7";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public ReplayTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    private static async Task<TestResponse> ReplayAsync(TestApp app, string id, string query = "") =>
        await app.ExecuteAsync(await app.Services.GetRequiredService<ReplayHandler>().ReplayOneAsync(default, id, HistoryTests.Parse(query), CancellationToken.None));

    private static async Task<TestResponse> ReplayManyAsync(TestApp app, string query) =>
        await app.ExecuteAsync(await app.Services.GetRequiredService<ReplayHandler>().ReplayManyAsync(default, HistoryTests.Parse(query), CancellationToken.None));

    /// <summary>Twine answers 503, the message is rescheduled, and the host's fifth failure moves it to the poison queue.</summary>
    private async Task PoisonMetricsAsync(TestApp app, string message)
    {
        _sandbox.Faults.Add("POST", MetricsRoute, FaultKind.ServiceUnavailable);
        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);
        await app.PoisonHandler().HandleMetricsAsync(message, "poisoned-message-id", CancellationToken.None);
        await ClearFaultAsync(app);
    }

    /// <summary>The operator fixed the cause: Twine answers again, and this instance's Twine circuit has seen it answer.</summary>
    private async Task ClearFaultAsync(TestApp app)
    {
        _sandbox.Faults.Clear();
        app.Time.Advance(TimeSpan.FromMinutes(10));
        await app.SandboxMetricsAsync();
    }

    [Fact]
    public async Task A_poisoned_message_is_replayed_once_the_fault_is_cleared_and_the_ingestion_succeeds_with_each_metric_once()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(150))).IngestionId;
        var messages = await app.TakeMessagesAsync(app.Names.MetricsQueue);
        await app.MetricsProcessor().ProcessAsync(messages[0], 1, CancellationToken.None);
        await PoisonMetricsAsync(app, messages[1]);
        Assert.Equal(IngestionStatus.PartlySucceeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);

        var dryRun = await ReplayAsync(app, id, "dryRun=true");
        Assert.Equal(200, dryRun.Status);
        Assert.Equal([1], dryRun.Json["messages"]!.AsArray().Select(m => m!.GetValue<int>()));
        Assert.Empty(await app.DecodedMessagesAsync(app.Names.MetricsQueue)); // a dry run sends nothing

        var replay = await ReplayAsync(app, id);
        Assert.Equal(202, replay.Status);
        Assert.Equal("/api/ingestions/" + id, replay.Headers["Location"]);
        Assert.Equal(("processing", 1), (replay.Json["status"]!.GetValue<string>(), replay.Json["messages"]![0]!.GetValue<int>()));
        (await ReplayAsync(app, id)).AssertProblem(409); // in flight until the message is done

        var replayed = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        Assert.Null(JsonNode.Parse(replayed)!["attempt"]); // the message as the edge wrote it: a fresh retry budget
        await app.MetricsProcessor().ProcessAsync(replayed, 1, CancellationToken.None);

        Assert.Equal(150, (await app.SandboxMetricsAsync()).Count);
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 150, 0, 0), (record.Status, record.Created, record.Failed, record.Errors.Count));
        var status = (await app.GetStatusAsync(id)).Json["replay"]!;
        Assert.Equal((1, "succeeded", TestApp.Start.AddMinutes(10)), (status["count"]!.GetValue<int>(), status["outcome"]!.GetValue<string>(), status["lastAt"]!.GetValue<DateTimeOffset>()));
        (await ReplayAsync(app, id)).AssertProblem(422); // nothing left to replay
    }

    [Fact]
    public async Task A_replay_racing_a_late_redelivery_of_the_original_message_creates_nothing_twice()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(3))).IngestionId;
        var original = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        await PoisonMetricsAsync(app, original);
        Assert.Equal(202, (await ReplayAsync(app, id)).Status);
        var replayed = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));

        // The original comes back late (a redelivery after a visibility timeout) at the same time as the replay.
        await Task.WhenAll(
            app.MetricsProcessor().ProcessAsync(original, 2, CancellationToken.None),
            app.MetricsProcessor().ProcessAsync(replayed, 1, CancellationToken.None));

        Assert.Equal(3, (await app.SandboxMetricsAsync()).Count);
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(IngestionStatus.Succeeded, record.Status);
        Assert.Equal(3, record.Created + record.IgnoredDuplicates);
        Assert.Single(await app.ResultRowsAsync());
    }

    [Fact]
    public async Task A_poisoned_calendar_create_is_replayed_through_the_link_claim_and_the_event_exists_once()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = "ehr-appt-" + Guid.NewGuid().ToString("N")[..10];
        var start = $"2018-02-21T{Random.Shared.Next(13, 17):D2}:{Random.Shared.Next(0, 60):D2}:00Z";
        var body = (JsonObject)Bodies.CalendarEvent().With("data/attributes/start_at", start)
            .With("data/attributes/end_at", start.Replace(":00Z", ":30Z", StringComparison.Ordinal));
        var id = (await app.PutCalendarEventAsync(externalId, body)).IngestionId;
        var original = Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue));
        _sandbox.Faults.Add("POST", CalendarRoute, FaultKind.ServiceUnavailable);
        await app.CalendarProcessor().ProcessAsync(original, 1, CancellationToken.None);
        await app.PoisonHandler().HandleCalendarEventAsync(original, "poisoned-message-id", CancellationToken.None);
        await ClearFaultAsync(app);
        Assert.Equal(IngestionStatus.Failed, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);

        Assert.Equal(202, (await ReplayAsync(app, id)).Status);
        var replayed = Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue));
        await app.CalendarProcessor().ProcessAsync(replayed, 1, CancellationToken.None);
        await app.CalendarProcessor().ProcessAsync(original, 3, CancellationToken.None); // and a late redelivery of the original

        var startAt = DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Single(await app.SandboxEventsAsync(Owner), e => e.Attributes?.StartAt == startAt);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Unknown_in_flight_and_succeeded_ingestions_are_refused_with_problems()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var inFlight = (await app.PostMetricsAsync(ProcessingApp.Metrics(1))).IngestionId;
        var done = (await app.PostMetricsAsync(ProcessingApp.Metrics(2))).IngestionId;
        foreach (var message in (await app.TakeMessagesAsync(app.Names.MetricsQueue)).Where(m => m.Contains(done, StringComparison.Ordinal)))
        {
            await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);
        }

        (await ReplayAsync(app, "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b")).AssertProblem(404);
        (await ReplayAsync(app, "not-an-id")).AssertProblem(400);
        (await ReplayAsync(app, inFlight, "dryRun=maybe")).AssertProblem(400);
        var busy = await ReplayAsync(app, inFlight);
        busy.AssertProblem(409);
        Assert.Equal("urn:twine-functions:problem:in-flight", busy.Json["type"]!.GetValue<string>());
        var succeeded = await ReplayAsync(app, done);
        succeeded.AssertProblem(422);
        Assert.Equal("urn:twine-functions:problem:nothing-to-replay", succeeded.Json["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bulk_replay_selects_with_the_lists_filters_shows_a_dry_run_and_is_bounded_per_call()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var failed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            failed.Add((await app.PostMetricsAsync(ProcessingApp.Metrics(1))).IngestionId);
            await PoisonMetricsAsync(app, Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue)));
            app.Time.Advance(TimeSpan.FromMinutes(1));
        }

        var succeeded = (await app.PostMetricsAsync(ProcessingApp.Metrics(1))).IngestionId;
        await app.MetricsProcessor().ProcessAsync(Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue)), 1, CancellationToken.None);

        var dryRun = await ReplayManyAsync(app, "dryRun=true&status=failed,succeeded");
        Assert.Equal(200, dryRun.Status);
        Assert.Equal((true, 4, 3), (dryRun.Json["dryRun"]!.GetValue<bool>(), dryRun.Json["examined"]!.GetValue<int>(), dryRun.Json["messagesQueued"]!.GetValue<int>()));
        Assert.Equal(succeeded, Assert.Single(dryRun.Json["skipped"]!.AsArray())!["ingestionId"]!.GetValue<string>());
        Assert.Empty(await app.DecodedMessagesAsync(app.Names.MetricsQueue));

        var first = await ReplayManyAsync(app, "limit=2");
        Assert.Equal(202, first.Status);
        Assert.Equal([failed[2], failed[1]], first.Json["replayed"]!.AsArray().Select(r => r!["ingestionId"]!.GetValue<string>()));
        var rest = await ReplayManyAsync(app, "limit=2&continuationToken=" + first.Json["continuationToken"]!.GetValue<string>());
        Assert.Equal([failed[0]], rest.Json["replayed"]!.AsArray().Select(r => r!["ingestionId"]!.GetValue<string>()));
        Assert.Null(rest.Json["continuationToken"]);

        foreach (var message in await app.TakeMessagesAsync(app.Names.MetricsQueue))
        {
            await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);
        }

        foreach (var id in failed)
        {
            Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
        }

        (await ReplayManyAsync(app, "limit=1001")).AssertProblem(400);
    }
}
