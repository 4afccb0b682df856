using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>The optional retry members of the version-1 contract: validated strictly, written verbatim around the rest, and within the edge's allowance.</summary>
public sealed class QueueRetryFieldsTests
{
    private const string Id = "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b";
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static JsonObject Message() => new()
    {
        ["version"] = 1,
        ["ingestionId"] = Id,
        ["operation"] = "delete",
        ["externalId"] = "ehr-appt-1",
    };

    [Fact]
    public void Attempt_and_first_failure_are_read_when_valid()
    {
        var parsed = CalendarEventMessageParser.Parse(Message().With("attempt", 3).With("firstFailedAt", "2026-12-04T11:00:00Z").ToJsonString(), Now);

        Assert.Equal(new QueueRetryState(3, Now.AddHours(-1)), parsed.Message!.Retry);
        Assert.Null(CalendarEventMessageParser.Parse(Message().ToJsonString(), Now).Message!.Retry);
    }

    [Theory]
    [InlineData("attempt", "0", "/attempt")]
    [InlineData("attempt", "-1", "/attempt")]
    [InlineData("attempt", "10001", "/attempt")]
    [InlineData("attempt", "1.5", "/attempt")]
    [InlineData("attempt", "\"2\"", "/attempt")]
    [InlineData("firstFailedAt", "\"2026-12-04\"", "/firstFailedAt")]
    [InlineData("firstFailedAt", "\"2026-12-04T11:00:00\"", "/firstFailedAt")]
    [InlineData("firstFailedAt", "\"2026-12-05T12:00:00Z\"", "/firstFailedAt")] // in the future
    [InlineData("firstFailedAt", "12", "/firstFailedAt")]
    public void Invalid_retry_members_are_refused_with_a_pointer(string member, string json, string pointer)
    {
        var message = Message().With("attempt", 2).With("firstFailedAt", "2026-12-04T11:00:00Z");
        message[member] = JsonNode.Parse(json);

        var parsed = CalendarEventMessageParser.Parse(message.ToJsonString(), Now);

        Assert.Null(parsed.Message);
        Assert.Contains(pointer, parsed.Errors.Select(e => e.Pointer));
    }

    [Fact]
    public void One_retry_member_without_the_other_is_refused()
    {
        Assert.Contains("/firstFailedAt", CalendarEventMessageParser.Parse(Message().With("attempt", 2).ToJsonString(), Now).Errors.Select(e => e.Pointer));
        Assert.Contains("/attempt", CalendarEventMessageParser.Parse(Message().With("firstFailedAt", "2026-12-04T11:00:00Z").ToJsonString(), Now).Errors.Select(e => e.Pointer));
    }

    [Fact]
    public void A_reschedule_copies_every_other_member_verbatim_including_unknown_ones()
    {
        // Raw text as a partner may write it: escapes, an exponent, a member a later version may add (e.g. an order).
        const string original = """{"version":1,"order":{"seq":12,"at":"2026-12-04T10:00:00Z"},"ingestionId":"0193a5b2c3d47e8f9a0b1c2d3e4f5a6b","title":"Caf\u00e9 \ud83d\ude00","n":1.50e2,"attempt":1,"firstFailedAt":"2026-12-04T11:00:00Z"}""";
        using var document = JsonDocument.Parse(original);

        var text = Encoding.UTF8.GetString(QueueRetryFields.WithRetry(document.RootElement, 2, Now.AddHours(-1)));

        Assert.Equal("""{"version":1,"order":{"seq":12,"at":"2026-12-04T10:00:00Z"},"ingestionId":"0193a5b2c3d47e8f9a0b1c2d3e4f5a6b","title":"Caf\u00e9 \ud83d\ude00","n":1.50e2,"attempt":2,"firstFailedAt":"2026-12-04T11:00:00+00:00"}""", text);
    }

    [Fact]
    public void The_widest_retry_members_fit_the_edges_envelope_allowance()
    {
        // The edge fills a message up to MaxJsonBytes with an envelope allowance that includes MaxBytes: the fullest
        // message it can plan, rescheduled with the widest attempt and timestamp, is still within 64 KiB encoded.
        var metric = JsonDocument.Parse(Bodies.Metrics(1)["data"]![0]!.ToJsonString()).RootElement;
        var size = MetricsMessageWriter.Minify(metric).Length;
        var fill = new string('x', QueueMessageLimits.MaxJsonBytes - MetricsMessageWriter.EnvelopeBytes - size - 20);
        var big = JsonDocument.Parse(JsonNode.Parse(metric.GetRawText())!.With("attributes/unit", fill).ToJsonString()).RootElement;
        var errors = new List<ProblemError>();
        var plan = MetricsMessageWriter.Plan([big], "/data/", errors);
        Assert.Empty(errors);
        var message = Assert.Single(plan.Messages(Id));
        using var document = JsonDocument.Parse(message);

        var rescheduled = QueueRetryFields.WithRetry(document.RootElement, QueueRetryFields.MaxAttempt, DateTimeOffset.MaxValue.AddTicks(-1).ToOffset(TimeSpan.Zero));

        Assert.True(QueueMessageLimits.EncodedLength(rescheduled.Length) <= QueueMessageLimits.MaxEncodedBytes,
            $"{rescheduled.Length} bytes of JSON; at most {QueueMessageLimits.MaxJsonBytes}");
        Assert.True(rescheduled.Length - message.Length <= QueueRetryFields.MaxBytes);
    }
}
