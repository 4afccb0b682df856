using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>The version-1 queue message contract (docs/QUEUE-MESSAGES.md): what the queue functions will accept.</summary>
public sealed class QueueMessageContractTests
{
    private const string Id = "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b";

    private static JsonObject MetricsMessage() => new()
    {
        ["version"] = 1,
        ["ingestionId"] = Id,
        ["messageIndex"] = 0,
        ["messageCount"] = 2,
        ["data"] = new JsonArray(Bodies.Metric(0), Bodies.Metric(1)),
    };

    [Fact]
    public void A_valid_metrics_message_parses()
    {
        var parsed = MetricsMessageParser.Parse(MetricsMessage().ToJsonString());

        Assert.True(parsed.IsValid);
        Assert.Equal((Id, 0, 2, 2), (parsed.Message!.IngestionId, parsed.Message.MessageIndex, parsed.Message.MessageCount, parsed.Message.Metrics.Count));
    }

    [Theory]
    [InlineData("{\"version\":1,\"ingestionId\":\"0193a5b2c3d47e8f9a0b1c2d3e4f5a6b\",\"\\ud800\":1}")]
    [InlineData("{\"version\":1,\"ingestionId\":\"0193a5b2c3d47e8f9a0b1c2d3e4f5a6b\",\"messageIndex\":0,\"messageCount\":1,\"data\":[{\"type\":\"\\udc00\"}]}")]
    public void A_message_with_text_that_is_not_valid_Unicode_is_refused_not_thrown(string text)
    {
        var parsed = MetricsMessageParser.Parse(text);

        Assert.False(parsed.IsValid);
        Assert.NotEmpty(parsed.Errors);
        Assert.Null(QueueMessageReader.PeekEnvelope("{\"\\ud800\":1,\"\\ud800\":2}").IngestionId);
    }

    [Fact]
    public void What_the_writer_writes_the_parser_reads()
    {
        var metrics = Enumerable.Range(0, 250).Select(i => JsonSerializer.SerializeToElement(Bodies.Metric(i))).ToList();
        var errors = new List<ProblemError>();

        var plan = MetricsMessageWriter.Plan(metrics, "/data/", errors);
        var messages = plan.Messages(Id).Select(m => MetricsMessageParser.Parse(Encoding.UTF8.GetString(m))).ToList();

        Assert.Empty(errors);
        Assert.Equal([100, 100, 50], messages.Select(m => m.Message!.Metrics.Count));
        Assert.Equal([0, 1, 2], messages.Select(m => m.Message!.MessageIndex));
    }

    public static TheoryData<string, string> BrokenMetricsMessages() => new()
    {
        { "version 2", "/version" },
        { "version missing", "/version" },
        { "unknown member", "/priority" },
        { "ingestionId malformed", "/ingestionId" },
        { "messageIndex not below messageCount", "/messageIndex" },
        { "messageIndex negative", "/messageIndex" },
        { "messageCount zero", "/messageCount" },
        { "data empty", "/data" },
        { "data over 100 metrics", "/data" },
        { "a metric without occurred_at", "/data/1/attributes/occurred_at" },
        { "a metric without a patient", "/data/0/relationships/patient/data" },
        { "not JSON", "" },
        { "not an object", "" },
    };

    [Theory]
    [MemberData(nameof(BrokenMetricsMessages))]
    public void A_broken_metrics_message_is_refused_with_a_pointer(string rule, string pointer)
    {
        var message = MetricsMessage();
        var text = rule switch
        {
            "version 2" => message.With("version", 2).ToJsonString(),
            "version missing" => message.With("version", null, remove: true).ToJsonString(),
            "unknown member" => message.With("priority", "high").ToJsonString(),
            "ingestionId malformed" => message.With("ingestionId", "ABC").ToJsonString(),
            "messageIndex not below messageCount" => message.With("messageIndex", 2).ToJsonString(),
            "messageIndex negative" => message.With("messageIndex", -1).ToJsonString(),
            "messageCount zero" => message.With("messageCount", 0).ToJsonString(),
            "data empty" => message.With("data", new JsonArray()).ToJsonString(),
            "data over 100 metrics" => message.With("data", new JsonArray([.. Enumerable.Range(0, 101).Select(i => (JsonNode)Bodies.Metric(i))])).ToJsonString(),
            "a metric without occurred_at" => message.With("data/1/attributes/occurred_at", null, remove: true).ToJsonString(),
            "a metric without a patient" => message.With("data/0/relationships", null, remove: true).ToJsonString(),
            "not JSON" => "eyJ2ZXJzaW9uIjoxfQ==", // still base64: the trigger decodes before the parser sees it
            "not an object" => "[1,2]",
            _ => throw new ArgumentOutOfRangeException(nameof(rule)),
        };

        var parsed = MetricsMessageParser.Parse(text);

        Assert.False(parsed.IsValid);
        Assert.Contains(pointer, parsed.Errors.Select(e => e.Pointer));
    }

    [Fact]
    public void A_broken_message_still_names_its_ingestion_when_it_can_so_it_can_be_recorded_failed()
    {
        var parsed = MetricsMessageParser.Parse(MetricsMessage().With("data", new JsonArray()).ToJsonString());

        Assert.False(parsed.IsValid);
        Assert.Equal(Id, parsed.IngestionId);
    }

    [Fact]
    public void Calendar_messages_upsert_needs_data_delete_forbids_it()
    {
        var upsert = Encoding.UTF8.GetString(CalendarEventMessageWriter.Write(Id, "upsert", "evt-1",
            JsonSerializer.SerializeToElement(Bodies.CalendarEvent()["data"])));
        var delete = Encoding.UTF8.GetString(CalendarEventMessageWriter.Write(Id, "delete", "evt-1", null));
        var upsertWithoutData = Encoding.UTF8.GetString(CalendarEventMessageWriter.Write(Id, "upsert", "evt-1", null));
        var deleteWithData = JsonNode.Parse(delete)!.With("data", Bodies.CalendarEvent()["data"]!.DeepClone()).ToJsonString();
        var badOperation = JsonNode.Parse(delete)!.With("operation", "patch").ToJsonString();
        var badExternalId = JsonNode.Parse(delete)!.With("externalId", "a/b").ToJsonString();
        var brokenEvent = JsonNode.Parse(upsert)!.With("data/attributes/title", "").ToJsonString();

        Assert.True(CalendarEventMessageParser.Parse(upsert).IsValid);
        Assert.True(CalendarEventMessageParser.Parse(delete).IsValid);
        Assert.Contains("/data", CalendarEventMessageParser.Parse(upsertWithoutData).Errors.Select(e => e.Pointer));
        Assert.Contains("/data", CalendarEventMessageParser.Parse(deleteWithData).Errors.Select(e => e.Pointer));
        Assert.Contains("/operation", CalendarEventMessageParser.Parse(badOperation).Errors.Select(e => e.Pointer));
        Assert.Contains("/externalId", CalendarEventMessageParser.Parse(badExternalId).Errors.Select(e => e.Pointer));
        Assert.Contains("/data/attributes/title", CalendarEventMessageParser.Parse(brokenEvent).Errors.Select(e => e.Pointer));
    }

    [Fact]
    public void A_metric_that_cannot_fit_one_message_is_reported_not_split()
    {
        var huge = JsonSerializer.SerializeToElement(Bodies.Metric().With("attributes/value", new string('x', QueueMessageLimits.MaxJsonBytes)));
        var errors = new List<ProblemError>();

        var plan = MetricsMessageWriter.Plan([JsonSerializer.SerializeToElement(Bodies.Metric()), huge], "/data/", errors);

        Assert.Equal("/data/1", Assert.Single(errors).Pointer);
        Assert.Equal(1, plan.MessageCount);
    }
}
