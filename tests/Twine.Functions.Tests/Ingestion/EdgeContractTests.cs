using System.Text;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>
/// What the HTTP edge accepts, the queue processor accepts too, and what either refuses is refused with a pointer
/// (issue 9, items 2 to 6). The generated counterpart is <see cref="Contract.EdgeContractProperties"/>.
/// </summary>
public sealed class EdgeContractTests(AzuriteFixture azurite)
{
    private static string Nested(int levels) => new string('[', levels) + "1" + new string(']', levels);

    private static byte[] MetricWithValue(string valueJson, bool asArray)
    {
        var metric = Bodies.Metric().ToJsonString().Replace("\"value\":100", "\"value\":" + valueJson, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(asArray ? $"{{\"data\":[{metric}]}}" : $"{{\"data\":{metric}}}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_value_nested_past_the_resource_depth_is_refused_with_a_pointer_in_either_document_form(bool asArray)
    {
        await using var app = new TestApp(azurite);
        var limit = QueueMessageLimits.MaxResourceDepth - 2; // the resource and its attributes are two levels

        var atLimit = await app.PostMetricsAsync(MetricWithValue(Nested(limit), asArray));
        var pastLimit = await app.PostMetricsAsync(MetricWithValue(Nested(limit + 1), asArray));
        var sixtyOne = await app.PostMetricsAsync(MetricWithValue(Nested(61), asArray));

        Assert.Equal(202, atLimit.Status);
        pastLimit.AssertProblem(422);
        Assert.StartsWith((asArray ? "/data/0" : "/data") + "/attributes/value", pastLimit.Pointers.Single(), StringComparison.Ordinal);
        Assert.Contains(sixtyOne.Status, new[] { 400, 422 });
        // The accepted one's message is one the processor takes.
        var message = Assert.Single(await app.DecodedMessagesAsync(app.Names.MetricsQueue));
        Assert.True(MetricsMessageParser.Parse(message).IsValid);
    }

    [Theory]
    [InlineData("systolic", "1e400")]
    [InlineData("diastolic", "1e309")]
    [InlineData("diastolic", "-1e309")]
    [InlineData("value", "1e400")]
    public async Task A_number_that_is_not_a_finite_double_is_refused_with_its_pointer(string member, string number)
    {
        await using var app = new TestApp(azurite);
        var metric = Bodies.Metric();
        metric["attributes"]!["type"] = "blood_pressure";
        metric["attributes"]!["systolic"] = 120;
        metric["attributes"]!["diastolic"] = 80;
        var json = metric.ToJsonString().Replace($"\"{member}\":{(member == "value" ? "100" : member == "systolic" ? "120" : "80")}", $"\"{member}\":{number}", StringComparison.Ordinal);

        var response = await app.PostMetricsAsync(Encoding.UTF8.GetBytes($"{{\"data\":[{json}]}}"));

        response.AssertProblem(422);
        Assert.Equal([$"/data/0/attributes/{member}"], response.Pointers);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public void A_directly_enqueued_message_with_infinity_is_refused_by_the_processor_with_its_pointer()
    {
        var metric = Bodies.Metric().ToJsonString().Replace("\"value\":100", "\"value\":1e400", StringComparison.Ordinal);
        var message = $"{{\"version\":1,\"ingestionId\":\"0193a5b2c3d47e8f9a0b1c2d3e4f5a6b\",\"messageIndex\":0,\"messageCount\":1,\"data\":[{metric}]}}";

        var parsed = MetricsMessageParser.Parse(message);

        Assert.False(parsed.IsValid);
        Assert.Equal("/data/0/attributes/value", Assert.Single(parsed.Errors).Pointer);
        Assert.Equal("0193a5b2c3d47e8f9a0b1c2d3e4f5a6b", parsed.IngestionId); // so the failure is recorded against it
    }

    [Fact]
    public async Task Ignore_duplicates_false_is_refused_and_true_or_absent_is_accepted()
    {
        await using var app = new TestApp(azurite);

        var refused = await app.PostMetricsAsync(Bodies.Metrics(1).With("meta", new JsonObject { ["ignore_duplicates"] = false }));
        var unknownMeta = await app.PostMetricsAsync(Bodies.Metrics(1).With("meta", new JsonObject { ["dry_run"] = true }));
        var accepted = await app.PostMetricsAsync(Bodies.Metrics(1).With("meta", new JsonObject { ["ignore_duplicates"] = true }));

        refused.AssertProblem(422);
        Assert.Equal(["/meta/ignore_duplicates"], refused.Pointers);
        unknownMeta.AssertProblem(422);
        Assert.Equal(["/meta/dry_run"], unknownMeta.Pointers);
        Assert.Equal(202, accepted.Status);
    }

    [Theory]
    [InlineData("{\"meta\":{\"external_id\":\"evt-1\"},\"extra\":1,\"data\":@}", "/extra")]
    [InlineData("{\"meta\":{\"external_id\":\"evt-1\",\"note\":\"x\"},\"data\":@}", "/meta/note")]
    [InlineData("{\"meta\":{\"external_id\":\"evt-1\",\"x\":\"\\ud800\"},\"data\":@}", "/meta/x")]
    [InlineData("{\"data\":@}", "/meta")]
    public async Task A_calendar_put_is_as_strict_as_a_metrics_post(string template, string pointer)
    {
        await using var app = new TestApp(azurite);
        var body = Encoding.UTF8.GetBytes(template.Replace("@", Bodies.CalendarEvent()["data"]!.ToJsonString(), StringComparison.Ordinal));

        var response = await app.PutCalendarEventAsync("evt-1", body);

        response.AssertProblem(422);
        Assert.Contains(pointer, response.Pointers);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [InlineData("Eastern Standard Time")]
    [InlineData("Pacific Standard Time")]
    [InlineData("america/new_york")]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("posix/America/New_York")]
    [InlineData("localtime")]
    public async Task A_time_zone_that_is_not_an_IANA_name_as_spelled_in_the_tz_database_is_refused(string zone)
    {
        await using var app = new TestApp(azurite);

        var response = await app.PutCalendarEventAsync("evt-1", Bodies.CalendarEvent().With("data/attributes/time_zone", zone));

        response.AssertProblem(422);
        Assert.Equal(["/data/attributes/time_zone"], response.Pointers);
    }

    [Theory]
    [InlineData("America/New_York")]
    [InlineData("Europe/London")]
    [InlineData("UTC")]
    public async Task IANA_time_zones_are_accepted(string zone)
    {
        await using var app = new TestApp(azurite);

        var response = await app.PutCalendarEventAsync("evt-1", Bodies.CalendarEvent().With("data/attributes/time_zone", zone));

        Assert.Equal(202, response.Status);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("identity, gzip")]
    public async Task A_content_coding_is_refused_with_415_naming_Content_Encoding(string coding)
    {
        await using var app = new TestApp(azurite);
        var body = Encoding.UTF8.GetBytes(Bodies.Metrics(1).ToJsonString());
        using var stream = new MemoryStream(body);

        var response = await app.ExecuteAsync(await app.Metrics.HandleAsync(
            new WebhookRequest(app.Sign(body), "application/vnd.api+json", coding, body.Length, null, stream), CancellationToken.None));

        response.AssertProblem(415);
        Assert.Equal("Content-Encoding", response.Json["errors"]![0]!["header"]!.GetValue<string>());
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [InlineData("application/json; charset=\"utf-8\"", "identity")]
    [InlineData("application/json; charset=UTF-8", null)]
    [InlineData("application/json;charset=\"UTF-8\"", null)]
    public async Task Equivalent_framings_are_accepted(string contentType, string? coding)
    {
        await using var app = new TestApp(azurite);
        var body = Encoding.UTF8.GetBytes(Bodies.Metrics(1).ToJsonString());
        using var stream = new MemoryStream(body);

        var response = await app.ExecuteAsync(await app.Metrics.HandleAsync(
            new WebhookRequest(app.Sign(body), contentType, coding, body.Length, null, stream), CancellationToken.None));

        Assert.Equal(202, response.Status);
    }

    [Fact]
    public async Task A_delete_without_a_body_is_told_what_body_to_send()
    {
        await using var app = new TestApp(azurite);
        using var stream = new MemoryStream();

        var response = await app.ExecuteAsync(await app.CalendarEvents.HandleDeleteAsync(
            new WebhookRequest(app.Sign([]), null, null, 0, null, stream), "evt-1", CancellationToken.None));

        response.AssertProblem(400);
        Assert.Contains("external_id", response.Json["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await app.AssertNothingStoredOrQueuedAsync();
    }
}
