using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Signatures;

/// <summary>Signatures at the HTTP edge: verified before anything is read or stored; webhook-id deduplicates deliveries.</summary>
public sealed class SignedIngestionTests(AzuriteFixture azurite)
{
    private static byte[] Bytes(JsonNode body) => Encoding.UTF8.GetBytes(body.ToJsonString());

    private static async Task<TestResponse> PostAsync(TestApp app, byte[] body, WebhookHeaders headers, string? idempotencyKey = null,
        string contentType = "application/vnd.api+json")
    {
        using var stream = new MemoryStream(body);
        return await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(headers, contentType, null, body.Length, idempotencyKey, stream), CancellationToken.None));
    }

    private static async Task<TestResponse> PutAsync(TestApp app, string externalId, byte[] body, WebhookHeaders headers)
    {
        using var stream = new MemoryStream(body);
        return await app.ExecuteAsync(await app.CalendarEvents.HandlePutAsync(new WebhookRequest(headers, "application/vnd.api+json", null, body.Length, null, stream), externalId, CancellationToken.None));
    }

    private static async Task<TestResponse> DeleteAsync(TestApp app, string externalId, Func<byte[], WebhookHeaders> sign)
    {
        var body = TestApp.DeleteBody(externalId);
        using var stream = new MemoryStream(body);
        return await app.ExecuteAsync(await app.CalendarEvents.HandleDeleteAsync(new WebhookRequest(sign(body), "application/vnd.api+json", null, body.Length, null, stream), externalId, CancellationToken.None));
    }

    private static byte[] CalendarBytes(string externalId) =>
        Bytes(Bodies.CalendarEvent().With("meta", new JsonObject { ["external_id"] = externalId }));

    private static void AssertUnauthorized(TestResponse response, string header)
    {
        response.AssertProblem(401);
        Assert.Equal("urn:twine-functions:problem:unauthorized", response.Json["type"]!.GetValue<string>());
        Assert.Equal(header, response.Json["errors"]![0]!["header"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unsigned_writes_are_refused_with_401_and_nothing_is_stored_or_queued()
    {
        await using var app = new TestApp(azurite);
        var metrics = Bytes(Bodies.Metrics(2));
        var calendar = Bytes(Bodies.CalendarEvent());

        AssertUnauthorized(await PostAsync(app, metrics, WebhookHeaders.None), WebhookHeaders.IdHeader);
        AssertUnauthorized(await PutAsync(app, "appt-1", calendar, WebhookHeaders.None), WebhookHeaders.IdHeader);
        AssertUnauthorized(await DeleteAsync(app, "appt-1", _ => WebhookHeaders.None),
            WebhookHeaders.IdHeader);

        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task Badly_signed_writes_are_refused_with_401_and_nothing_is_stored_or_queued()
    {
        await using var app = new TestApp(azurite);
        var metrics = Bytes(Bodies.Metrics(2));
        var calendar = Bytes(Bodies.CalendarEvent());
        var wrongSecret = SignatureHarness.SecretC;

        AssertUnauthorized(await PostAsync(app, metrics, app.Sign(metrics, secret: wrongSecret)), WebhookHeaders.SignatureHeader);
        AssertUnauthorized(await PostAsync(app, metrics, app.Sign(Bytes(Bodies.Metrics(3)))), WebhookHeaders.SignatureHeader); // signed another body
        AssertUnauthorized(await PutAsync(app, "appt-1", calendar, app.Sign(calendar, secret: wrongSecret)), WebhookHeaders.SignatureHeader);
        AssertUnauthorized(await PutAsync(app, "appt-1", calendar, app.Sign([])), WebhookHeaders.SignatureHeader);
        AssertUnauthorized(await DeleteAsync(app, "appt-1", b => app.Sign(b, secret: wrongSecret)),
            WebhookHeaders.SignatureHeader);

        var stale = app.Sign(metrics);
        app.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        AssertUnauthorized(await PostAsync(app, metrics, stale), WebhookHeaders.TimestampHeader);

        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task An_unsigned_request_is_refused_before_its_body_is_read()
    {
        await using var app = new TestApp(azurite);
        var body = new UnreadableStream();

        var response = await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(WebhookHeaders.None, "application/vnd.api+json", null, 10, null, body), CancellationToken.None));

        AssertUnauthorized(response, WebhookHeaders.IdHeader);
        Assert.False(body.Touched);
    }

    [Fact]
    public async Task A_replayed_delivery_returns_the_first_answer_and_queues_nothing()
    {
        await using var app = new TestApp(azurite);
        var body = Bytes(Bodies.Metrics(2));
        var delivery = app.Sign(body, webhookId: "msg_replay_1");

        var first = await PostAsync(app, body, delivery);
        app.Time.Advance(TimeSpan.FromMinutes(2));
        var resent = await PostAsync(app, body, app.Sign(body, webhookId: "msg_replay_1")); // a retry: same id, new timestamp and signature
        var replayed = await PostAsync(app, body, delivery);                                // a byte-identical replay

        Assert.Equal((202, 202, 202), (first.Status, resent.Status, replayed.Status));
        Assert.Equal(first.IngestionId, resent.IngestionId);
        Assert.Equal(first.IngestionId, replayed.IngestionId);
        Assert.Equal(first.Body, replayed.Body);
        Assert.Single(await app.IngestionRowsAsync());
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Distinct_webhook_ids_with_the_same_body_are_distinct_ingestions()
    {
        await using var app = new TestApp(azurite);
        var body = Bytes(Bodies.Metrics(1));

        var first = await PostAsync(app, body, app.Sign(body, webhookId: "msg_a"));
        var second = await PostAsync(app, body, app.Sign(body, webhookId: "msg_b"));

        Assert.NotEqual(first.IngestionId, second.IngestionId);
        Assert.Equal(2, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task A_webhook_id_reused_with_another_body_is_refused_and_queues_nothing_more()
    {
        await using var app = new TestApp(azurite);
        var body = Bytes(Bodies.Metrics(1));
        var other = Bytes(Bodies.Metrics(2));

        var first = await PostAsync(app, body, app.Sign(body, webhookId: "msg_same"));
        var reused = await PostAsync(app, other, app.Sign(other, webhookId: "msg_same"));

        Assert.Equal(202, first.Status);
        reused.AssertProblem(422);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task The_Idempotency_Key_wins_over_the_webhook_id_when_both_are_sent()
    {
        await using var app = new TestApp(azurite);
        var body = Bytes(Bodies.Metrics(1));

        var first = await PostAsync(app, body, app.Sign(body, webhookId: "msg_1"), idempotencyKey: "batch-7");
        var second = await PostAsync(app, body, app.Sign(body, webhookId: "msg_2"), idempotencyKey: "batch-7");

        Assert.Equal(first.IngestionId, second.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Calendar_replays_by_webhook_id_queue_once()
    {
        await using var app = new TestApp(azurite);
        var body = CalendarBytes("appt-9");

        var put = await PutAsync(app, "appt-9", body, app.Sign(body, webhookId: "msg_put"));
        var putAgain = await PutAsync(app, "appt-9", body, app.Sign(body, webhookId: "msg_put"));
        var delete = await DeleteAsync(app, "appt-9", b => app.Sign(b, webhookId: "msg_del"));
        var deleteAgain = await DeleteAsync(app, "appt-9", b => app.Sign(b, webhookId: "msg_del"));

        Assert.Equal(put.IngestionId, putAgain.IngestionId);
        Assert.Equal(delete.IngestionId, deleteAgain.IngestionId);
        Assert.NotEqual(put.IngestionId, delete.IngestionId);
        Assert.Equal(2, await app.MessageCountAsync(app.Names.CalendarEventsQueue));
    }

    [Fact]
    public async Task A_valid_signature_on_an_invalid_body_still_gets_the_body_problem()
    {
        await using var app = new TestApp(azurite);
        var invalid = Bytes(Bodies.Metrics(2).With("data/1/attributes/occurred_at", "yesterday"));
        var notJson = Encoding.UTF8.GetBytes("{\"data\": [");
        var calendarWithoutData = Encoding.UTF8.GetBytes("{}");

        (await PostAsync(app, invalid, app.Sign(invalid))).AssertProblem(422);
        (await PostAsync(app, notJson, app.Sign(notJson))).AssertProblem(400);
        (await PostAsync(app, invalid, app.Sign(invalid), contentType: "text/plain")).AssertProblem(415);
        (await PostAsync(app, invalid, app.Sign(invalid), idempotencyKey: "has space")).AssertProblem(400);
        (await PutAsync(app, "appt-1", calendarWithoutData, app.Sign(calendarWithoutData))).AssertProblem(422);
        (await PutAsync(app, "bad id", calendarWithoutData, app.Sign(calendarWithoutData))).AssertProblem(400);

        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task Refusals_are_logged_with_the_header_name_and_never_the_signature_or_body()
    {
        await using var app = new TestApp(azurite);
        const string Marker = "PATIENT-MARKER-5551234";
        var body = Bytes(Bodies.Metrics(1).With("data/0/relationships/patient/data/id", Marker));
        var wrong = app.Sign(body, secret: SignatureHarness.SecretC);

        await PostAsync(app, body, wrong);

        var records = app.Logs.GetSnapshot();
        Assert.Contains(records, r => r.Message.Contains(WebhookHeaders.SignatureHeader, StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Message.Contains(Marker, StringComparison.Ordinal)
                                            || r.Message.Contains(wrong.Signature![3..], StringComparison.Ordinal)
                                            || (r.StructuredState ?? []).Any(kv => kv.Value?.Contains(Marker, StringComparison.Ordinal) == true
                                                                                   || kv.Value?.Contains(wrong.Signature![3..], StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task The_function_classes_read_the_signature_headers_from_the_request()
    {
        await using var app = new TestApp(azurite);
        var metricsFunction = ActivatorUtilities.CreateInstance<IngestMetricsFunction>(app.Services);
        var calendarFunctions = ActivatorUtilities.CreateInstance<CalendarEventFunctions>(app.Services);
        var body = Bytes(Bodies.Metrics(1));

        HttpRequest Request(string method, byte[] bytes, bool sign)
        {
            var context = new DefaultHttpContext { RequestServices = app.Services };
            context.Request.Method = method;
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = "application/vnd.api+json";
            if (sign)
            {
                app.Sign(context.Request, bytes);
            }

            return context.Request;
        }

        var unsigned = await app.ExecuteAsync(await metricsFunction.Run(Request("POST", body, sign: false), CancellationToken.None));
        var signed = await app.ExecuteAsync(await metricsFunction.Run(Request("POST", body, sign: true), CancellationToken.None));
        var unsignedDelete = await app.ExecuteAsync(await calendarFunctions.Delete(Request("DELETE", [], sign: false), "appt-1", CancellationToken.None));

        // Two signatures in two header lines count as one list.
        var twoLines = Request("POST", body, sign: true);
        twoLines.Headers[WebhookHeaders.IdHeader] = "msg_two_lines";
        twoLines.Headers[WebhookHeaders.SignatureHeader] = new Microsoft.Extensions.Primitives.StringValues(
            ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", app.Sign(body, webhookId: "msg_two_lines").Signature]);
        var multiLine = await app.ExecuteAsync(await metricsFunction.Run(twoLines, CancellationToken.None));

        AssertUnauthorized(unsigned, WebhookHeaders.IdHeader);
        AssertUnauthorized(unsignedDelete, WebhookHeaders.IdHeader);
        Assert.Equal(202, signed.Status);
        Assert.Equal(202, multiLine.Status);
        Assert.Equal(2, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    /// <summary>A body stream that records whether anyone read it.</summary>
    private sealed class UnreadableStream : MemoryStream
    {
        public bool Touched { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Touched = true;
            return base.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Touched = true;
            return base.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Touched = true;
            return base.ReadAsync(buffer, offset, count, cancellationToken);
        }
    }
}
