using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>What GET /api/ingestions/{id} counts for calendar-event ingestions, as docs/INGESTION-API.md explains it.</summary>
public sealed class CalendarStatusCountsTests : IClassFixture<SandboxFixture>
{
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public CalendarStatusCountsTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Fact]
    public async Task A_PUT_and_a_DELETE_each_count_their_one_event_as_created_and_a_repeated_DELETE_as_neither()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = "ehr-appt-" + Guid.NewGuid().ToString("N")[..10];

        var put = (await app.PutCalendarEventAsync(externalId, Bodies.CalendarEvent())).IngestionId;
        AssertCounts(await StatusAsync(app, put), "accepted", metricsTotal: 0, messagesDone: 0, created: 0, failed: 0);
        await ProcessAllAsync(app);
        var twineId = AssertCounts(await StatusAsync(app, put), "succeeded", metricsTotal: 1, messagesDone: 1, created: 1, failed: 0).Single();

        var delete = (await app.DeleteCalendarEventAsync(externalId)).IngestionId;
        await ProcessAllAsync(app);
        Assert.Equal([twineId], AssertCounts(await StatusAsync(app, delete), "succeeded", metricsTotal: 1, messagesDone: 1, created: 1, failed: 0));

        var again = (await app.DeleteCalendarEventAsync(externalId)).IngestionId;
        await ProcessAllAsync(app);
        Assert.Equal([twineId], AssertCounts(await StatusAsync(app, again), "succeeded", metricsTotal: 1, messagesDone: 1, created: 0, failed: 0));

        var unknown = (await app.DeleteCalendarEventAsync("ehr-appt-never-" + Guid.NewGuid().ToString("N")[..8])).IngestionId;
        await ProcessAllAsync(app);
        var failed = await StatusAsync(app, unknown);
        Assert.Empty(AssertCounts(failed, "failed", metricsTotal: 1, messagesDone: 1, created: 0, failed: 1));
        Assert.Equal("UnknownExternalId", failed["errors"]![0]!["code"]!.GetValue<string>());
    }

    private static async Task<JsonNode> StatusAsync(TestApp app, string id)
    {
        var response = await app.GetStatusAsync(id);
        Assert.Equal(200, response.Status);
        return response.Json;
    }

    private static async Task ProcessAllAsync(TestApp app)
    {
        foreach (var message in await app.TakeMessagesAsync(app.Names.CalendarEventsQueue))
        {
            await app.CalendarProcessor().ProcessAsync(message, 1, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Asserts the status and counts (messagesTotal 1, ignoredDuplicates 0 always); returns twineIds.</summary>
    private static List<string> AssertCounts(JsonNode status, string expected, int metricsTotal, int messagesDone, int created, int failed)
    {
        Assert.Equal(expected, status["status"]!.GetValue<string>());
        var counts = status["counts"]!;
        Assert.Equal(
            (metricsTotal, 1, messagesDone, created, 0, failed),
            (counts["metricsTotal"]!.GetValue<int>(), counts["messagesTotal"]!.GetValue<int>(), counts["messagesDone"]!.GetValue<int>(),
             counts["created"]!.GetValue<int>(), counts["ignoredDuplicates"]!.GetValue<int>(), counts["failed"]!.GetValue<int>()));
        return [.. status["twineIds"]!.AsArray().Select(i => i!.GetValue<string>())];
    }
}
