using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>Malformed and poison queue messages are recorded against their ingestion, once, without their content.</summary>
public sealed class QueueFailureRecorderTests(AzuriteFixture azurite)
{
    private static QueueFailureRecorder Recorder(TestApp app) => app.Services.GetRequiredService<QueueFailureRecorder>();

    [Fact]
    public async Task A_malformed_metrics_message_is_recorded_as_that_messages_failure_with_each_problem()
    {
        await using var app = new TestApp(azurite);
        var id = (await app.PostMetricsAsync(Bodies.Metrics(150))).IngestionId;
        var text = (await app.DecodedMessagesAsync(app.Names.MetricsQueue))
            .Select(t => JsonNode.Parse(t)!).Single(m => m["messageIndex"]!.GetValue<int>() == 1)
            .With("data/3/attributes/occurred_at", "SECRET-PATIENT-TEXT").ToJsonString();
        var parsed = MetricsMessageParser.Parse(text);

        var recorded = await Recorder(app).RecordMalformedAsync(IngestionKind.Metrics, text, parsed.Errors, CancellationToken.None);
        var again = await Recorder(app).RecordMalformedAsync(IngestionKind.Metrics, text, parsed.Errors, CancellationToken.None);
        var status = await app.GetStatusAsync(id);

        Assert.True(recorded && again);
        Assert.Equal("processing", status.Json["status"]!.GetValue<string>());
        Assert.Equal(1, status.Json["counts"]!["messagesDone"]!.GetValue<int>());
        Assert.Equal(50, status.Json["counts"]!["failed"]!.GetValue<int>());
        var error = Assert.Single(status.Json["errors"]!.AsArray())!;
        Assert.Equal(("InvalidQueueMessage", "/data/3/attributes/occurred_at"), (error["code"]!.GetValue<string>(), error["pointer"]!.GetValue<string>()));
        Assert.DoesNotContain("SECRET-PATIENT-TEXT", status.Body, StringComparison.Ordinal);
        Assert.Single(await app.ResultRowsAsync());
    }

    [Fact]
    public async Task A_malformed_message_that_names_only_its_ingestion_fails_the_ingestion()
    {
        await using var app = new TestApp(azurite);
        var id = (await app.PostMetricsAsync(Bodies.Metrics(1))).IngestionId;
        var text = $$"""{"version":1,"ingestionId":"{{id}}","messageIndex":"zero","data":[]}""";

        var recorded = await Recorder(app).RecordMalformedAsync(IngestionKind.Metrics, text, MetricsMessageParser.Parse(text).Errors, CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.True(recorded);
        Assert.Equal("failed", json["status"]!.GetValue<string>());
        Assert.Contains("version-1 contract", json["failureReason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"version":1,"ingestionId":"nope"}""")]
    [InlineData(null)]
    public async Task A_message_that_names_no_ingestion_records_nothing(string? text)
    {
        await using var app = new TestApp(azurite);

        var recorded = await Recorder(app).RecordMalformedAsync(IngestionKind.Metrics, text, [], CancellationToken.None);
        var poisoned = await Recorder(app).RecordPoisonAsync(IngestionKind.Metrics, "twine-metrics-poison", text, 5, CancellationToken.None);

        Assert.False(recorded || poisoned);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task A_poison_message_records_its_message_failed_with_the_reason_once()
    {
        await using var app = new TestApp(azurite);
        var id = (await app.PostMetricsAsync(Bodies.Metrics(150))).IngestionId;
        var text = (await app.DecodedMessagesAsync(app.Names.MetricsQueue)).Single(t => JsonNode.Parse(t)!["messageIndex"]!.GetValue<int>() == 1);

        await Recorder(app).RecordPoisonAsync(IngestionKind.Metrics, "twine-metrics-poison", text, 5, CancellationToken.None);
        var once = await app.IngestionRowsAsync();
        await Recorder(app).RecordPoisonAsync(IngestionKind.Metrics, "twine-metrics-poison", text, 5, CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.Equal("processing", json["status"]!.GetValue<string>()); // message 1 of 2 is still to come
        Assert.Equal(("PoisonMessage", "Message 2 of 2 failed 5 times and was moved to twine-metrics-poison."),
            (json["errors"]![0]!["code"]!.GetValue<string>(), json["errors"]![0]!["detail"]!.GetValue<string>()));
        Assert.Equal(50, json["counts"]!["failed"]!.GetValue<int>());
        Assert.Equal(once.Single().ETag, (await app.IngestionRowsAsync()).Single().ETag); // the repeat wrote nothing
    }

    [Fact]
    public async Task A_poison_message_of_an_ingestion_enqueued_directly_creates_it_as_failed()
    {
        await using var app = new TestApp(azurite);
        var id = IngestionId.New(app.Time);
        var text = $$"""{"version":1,"ingestionId":"{{id}}","operation":"delete","externalId":"evt-1"}""";

        await Recorder(app).RecordPoisonAsync(IngestionKind.CalendarEvent, "twine-calendar-events-poison", text, 5, CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.Equal(("failed", "calendarEvent"), (json["status"]!.GetValue<string>(), json["kind"]!.GetValue<string>()));
        Assert.Equal("Message 1 of 1 failed 5 times and was moved to twine-calendar-events-poison.", json["errors"]![0]!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_malformed_calendar_event_message_fails_its_single_message()
    {
        await using var app = new TestApp(azurite);
        var id = (await app.PutCalendarEventAsync("evt-3", Bodies.CalendarEvent())).IngestionId;
        var text = JsonNode.Parse(Assert.Single(await app.DecodedMessagesAsync(app.Names.CalendarEventsQueue)))!
            .With("data/attributes/title", "").ToJsonString();

        await Recorder(app).RecordMalformedAsync(IngestionKind.CalendarEvent, text, CalendarEventMessageParser.Parse(text).Errors, CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.Equal("failed", json["status"]!.GetValue<string>());
        Assert.Equal("/data/attributes/title", json["errors"]![0]!["pointer"]!.GetValue<string>());
    }
}
