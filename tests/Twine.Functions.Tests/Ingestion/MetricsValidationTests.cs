using System.Text;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>Every rule of POST /api/metrics: refused with problem details pointing at the field, nothing stored or queued.</summary>
public sealed class MetricsValidationTests(AzuriteFixture azurite)
{
    public static TheoryData<string, int, string> BodyRules() => new()
    {
        // case name, status, expected pointer
        { "data missing", 422, "/data" },
        { "data empty array", 422, "/data" },
        { "data a string", 422, "/data" },
        { "more than 1000 metrics", 422, "/data" },
        { "body not an object", 422, "" },
        { "unknown top-level member", 422, "/links" },
        { "meta.ignore_duplicates not boolean", 422, "/meta/ignore_duplicates" },
        { "resource type wrong", 422, "/data/3/type" },
        { "resource not an object", 422, "/data/3" },
        { "attributes missing", 422, "/data/3/attributes" },
        { "metric type missing", 422, "/data/3/attributes/type" },
        { "metric type not in enum", 422, "/data/3/attributes/type" },
        { "occurred_at missing", 422, "/data/3/attributes/occurred_at" },
        { "occurred_at without offset", 422, "/data/3/attributes/occurred_at" },
        { "occurred_at a date only", 422, "/data/3/attributes/occurred_at" },
        { "occurred_at not a date", 422, "/data/3/attributes/occurred_at" },
        { "occurred_at impossible day", 422, "/data/3/attributes/occurred_at" },
        { "occurred_at a number", 422, "/data/3/attributes/occurred_at" },
        { "value missing", 422, "/data/3/attributes/value" },
        { "systolic not a number", 422, "/data/3/attributes/systolic" },
        { "unit not a string", 422, "/data/3/attributes/unit" },
        { "code without system", 422, "/data/3/attributes/code/system" },
        { "patient missing", 422, "/data/3/relationships/patient/data" },
        { "patient id empty", 422, "/data/3/relationships/patient/data/id" },
        { "patient neither id nor query", 422, "/data/3/relationships/patient/data" },
        { "patient type wrong", 422, "/data/3/relationships/patient/data/type" },
        { "patient query without identifier", 422, "/data/3/relationships/patient/data/meta/query/identifier" },
        { "patient query identifier without value", 422, "/data/3/relationships/patient/data/meta/query/identifier/value" },
        { "single resource with a bad field", 422, "/data/attributes/occurred_at" },
        { "metric too large for one queue message", 422, "/data/3" },
        { "malformed JSON", 400, "" },
        { "duplicate member", 400, "" },
    };

    private static byte[] Body(string rule)
    {
        var body = Bodies.Metrics(5);
        JsonNode edited = rule switch
        {
            "data missing" => new JsonObject { ["meta"] = new JsonObject() },
            "data empty array" => Bodies.Document(new JsonArray()),
            "data a string" => Bodies.Document("metrics"),
            "more than 1000 metrics" => Bodies.Metrics(1001),
            "body not an object" => new JsonArray(Bodies.Metric()),
            "unknown top-level member" => body.With("links", new JsonObject()),
            "meta.ignore_duplicates not boolean" => body.With("meta", new JsonObject { ["ignore_duplicates"] = "yes" }),
            "resource type wrong" => body.With("data/3/type", "patient_metric"),
            "resource not an object" => body.With("data/3", 42),
            "attributes missing" => body.With("data/3/attributes", null, remove: true),
            "metric type missing" => body.With("data/3/attributes/type", null, remove: true),
            "metric type not in enum" => body.With("data/3/attributes/type", "steps_per_fortnight"),
            "occurred_at missing" => body.With("data/3/attributes/occurred_at", null, remove: true),
            "occurred_at without offset" => body.With("data/3/attributes/occurred_at", "2017-03-14T11:00:57"),
            "occurred_at a date only" => body.With("data/3/attributes/occurred_at", "2017-03-14"),
            "occurred_at not a date" => body.With("data/3/attributes/occurred_at", "yesterday"),
            "occurred_at impossible day" => body.With("data/3/attributes/occurred_at", "2017-02-30T11:00:57Z"),
            "occurred_at a number" => body.With("data/3/attributes/occurred_at", 1489489257),
            "value missing" => body.With("data/3/attributes/value", null, remove: true),
            "systolic not a number" => body.With("data/3/attributes/systolic", "120"),
            "unit not a string" => body.With("data/3/attributes/unit", 5),
            "code without system" => body.With("data/3/attributes/code/system", null, remove: true),
            "patient missing" => body.With("data/3/relationships", null, remove: true),
            "patient id empty" => body.With("data/3/relationships/patient/data/id", ""),
            "patient neither id nor query" => body.With("data/3/relationships/patient/data/id", null, remove: true),
            "patient type wrong" => body.With("data/3/relationships/patient/data/type", "coach"),
            "patient query without identifier" => body.With("data/3", Bodies.MetricByQuery())
                .With("data/3/relationships/patient/data/meta/query/identifier", null, remove: true),
            "patient query identifier without value" => body.With("data/3", Bodies.MetricByQuery())
                .With("data/3/relationships/patient/data/meta/query/identifier/value", null, remove: true),
            "single resource with a bad field" => Bodies.Document(Bodies.Metric().With("attributes/occurred_at", "noon")),
            "metric too large for one queue message" => body.With("data/3/attributes/value", new string('x', 60_000)),
            "malformed JSON" => throw new InvalidOperationException("raw"),
            "duplicate member" => throw new InvalidOperationException("raw"),
            _ => throw new ArgumentOutOfRangeException(nameof(rule)),
        };
        return Encoding.UTF8.GetBytes(edited.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(BodyRules))]
    public async Task Refuses_a_body_that_breaks_a_rule(string rule, int status, string pointer)
    {
        await using var app = new TestApp(azurite);
        var bytes = rule switch
        {
            "malformed JSON" => Encoding.UTF8.GetBytes("{\"data\": [ {\"type\": "),
            "duplicate member" => Encoding.UTF8.GetBytes("{\"data\": {}, \"data\": []}"),
            _ => Body(rule),
        };

        var response = await app.PostMetricsAsync(bytes);

        response.AssertProblem(status);
        Assert.Contains(pointer, response.Pointers);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task Lists_every_broken_rule_with_its_pointer()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(5)
            .With("data/1/attributes/occurred_at", "2017-03-14 11:00")
            .With("data/3/attributes/value", null, remove: true)
            .With("data/4/relationships", null, remove: true);

        var response = await app.PostMetricsAsync(body);

        response.AssertProblem(422);
        Assert.Equal(
            ["/data/1/attributes/occurred_at", "/data/3/attributes/value", "/data/4/relationships/patient/data"],
            response.Pointers);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/vnd.api+json; charset=utf-8")]
    [InlineData("application/json; charset=latin1")]
    [InlineData(null)]
    public async Task Refuses_other_media_types_with_415(string? contentType)
    {
        await using var app = new TestApp(azurite);

        var response = await app.PostMetricsAsync(Encoding.UTF8.GetBytes(Bodies.Metrics(1).ToJsonString()), contentType);

        response.AssertProblem(415);
        Assert.Equal("Content-Type", response.Json["errors"]![0]!["header"]!.GetValue<string>());
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Refuses_a_body_over_1_MiB_with_413_declared_or_not(bool declareLength)
    {
        await using var app = new TestApp(azurite);
        var bytes = new byte[1024 * 1024 + 1];
        Array.Fill(bytes, (byte)' ');

        var response = await app.PostMetricsAsync(bytes, declareLength: declareLength);

        response.AssertProblem(413);
        Assert.Equal([""], response.Pointers);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ünïcode")]
    public async Task Refuses_a_malformed_idempotency_key_with_400(string key)
    {
        await using var app = new TestApp(azurite);

        var response = await app.PostMetricsAsync(Bodies.Metrics(1), idempotencyKey: key);

        response.AssertProblem(400);
        Assert.Equal("Idempotency-Key", response.Json["errors"]![0]!["header"]!.GetValue<string>());
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task Problem_details_never_echo_the_patient_data()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(2).With("data/1/attributes/occurred_at", "SECRET-PATIENT-TEXT");

        var response = await app.PostMetricsAsync(body);

        response.AssertProblem(422);
        Assert.DoesNotContain("SECRET-PATIENT-TEXT", response.Body, StringComparison.Ordinal);
    }
}
