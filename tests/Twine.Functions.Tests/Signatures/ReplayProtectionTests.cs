using System.Text;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Signatures;

/// <summary>
/// A captured, validly signed request re-sent by someone else (within the five-minute tolerance) with any header
/// changed: it never starts a second ingestion and never reaches another target or method (issue 9, item 1).
/// </summary>
public sealed class ReplayProtectionTests(AzuriteFixture azurite)
{
    private const string OtherPartner = "other-partner";

    private static TestApp App(AzuriteFixture azurite) =>
        new(azurite, settings => settings[$"Webhooks:Partners:{OtherPartner}:Secrets:0"] = SignatureHarness.SecretA);

    private static byte[] Bytes(JsonNode body) => Encoding.UTF8.GetBytes(body.ToJsonString());

    private static byte[] PutBody(string externalId) =>
        Bytes(Bodies.CalendarEvent().With("meta", new JsonObject { ["external_id"] = externalId }));

    private static async Task<TestResponse> SendAsync(TestApp app, string method, string target, byte[] body, WebhookHeaders captured, string? idempotencyKey = null)
    {
        using var stream = new MemoryStream(body);
        var request = new WebhookRequest(captured, "application/vnd.api+json", null, body.Length, idempotencyKey, stream);
        return await app.ExecuteAsync(method switch
        {
            "POST" => await app.Metrics.HandleAsync(request, CancellationToken.None),
            "PUT" => await app.CalendarEvents.HandlePutAsync(request, target, CancellationToken.None),
            "DELETE" => await app.CalendarEvents.HandleDeleteAsync(request, target, CancellationToken.None),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        });
    }

    [Fact]
    public async Task A_captured_delete_re_sent_to_another_event_with_a_fresh_key_is_refused_and_queues_nothing()
    {
        await using var app = App(azurite);
        var body = TestApp.DeleteBody("appt-x");
        var captured = app.Sign(body);
        Assert.Equal(202, (await SendAsync(app, "DELETE", "appt-x", body, captured)).Status);

        var redirected = await SendAsync(app, "DELETE", "appt-y", body, captured, idempotencyKey: "fresh-key-1");
        var redirectedNoKey = await SendAsync(app, "DELETE", "appt-y", body, captured);

        redirected.AssertProblem(422);
        Assert.Equal(["/meta/external_id"], redirected.Pointers);
        redirectedNoKey.AssertProblem(422);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.CalendarEventsQueue));
        Assert.Single(await app.IngestionRowsAsync());
    }

    [Fact]
    public async Task A_delete_that_was_never_delivered_cannot_be_sent_to_another_event_either()
    {
        await using var app = App(azurite);
        var body = TestApp.DeleteBody("appt-x");
        var captured = app.Sign(body); // intercepted: the app never saw it

        var redirected = await SendAsync(app, "DELETE", "appt-y", body, captured, idempotencyKey: "fresh-key-2");

        redirected.AssertProblem(422);
        await app.AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task A_captured_put_re_sent_to_another_event_or_as_a_delete_is_refused()
    {
        await using var app = App(azurite);
        var body = PutBody("appt-1");
        var captured = app.Sign(body);
        Assert.Equal(202, (await SendAsync(app, "PUT", "appt-1", body, captured)).Status);

        var otherTarget = await SendAsync(app, "PUT", "appt-2", body, captured, idempotencyKey: "new-key");
        var asDelete = await SendAsync(app, "DELETE", "appt-1", body, captured, idempotencyKey: "new-key-2");
        var deleteBody = TestApp.DeleteBody("appt-1");
        var deleteAsPut = await SendAsync(app, "PUT", "appt-1", deleteBody, app.Sign(deleteBody));

        otherTarget.AssertProblem(422);
        Assert.Contains("/meta/external_id", otherTarget.Pointers);
        asDelete.AssertProblem(422);
        Assert.Contains("/data", asDelete.Pointers); // a DELETE's body carries no data
        deleteAsPut.AssertProblem(422);
        Assert.Contains("/data", deleteAsPut.Pointers); // a PUT's body needs the event
        Assert.Equal(1, await app.MessageCountAsync(app.Names.CalendarEventsQueue));
    }

    [Theory]
    [InlineData(null, "added")]
    [InlineData("first-key", "changed")]
    [InlineData("first-key", null)]
    public async Task A_captured_metrics_post_with_its_key_added_changed_or_removed_is_the_same_ingestion(string? firstKey, string? replayKey)
    {
        await using var app = App(azurite);
        var body = Bytes(Bodies.Metrics(3));
        var captured = app.Sign(body);
        var first = await SendAsync(app, "POST", "", body, captured, firstKey);

        var replay = await SendAsync(app, "POST", "", body, captured, replayKey);

        Assert.Equal((202, 202), (first.Status, replay.Status));
        Assert.Equal(first.IngestionId, replay.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
        Assert.Single(await app.IngestionRowsAsync());
    }

    [Fact]
    public async Task A_webhook_id_reused_with_another_body_is_refused_naming_the_webhook_id_header()
    {
        await using var app = App(azurite);
        var first = await SendAsync(app, "POST", "", Bytes(Bodies.Metrics(1)), app.Sign(Bytes(Bodies.Metrics(1)), webhookId: "msg_same"));
        var second = Bytes(Bodies.Metrics(2));

        var reused = await SendAsync(app, "POST", "", second, app.Sign(second, webhookId: "msg_same"));

        reused.AssertProblem(422);
        Assert.Equal("urn:twine-functions:problem:webhook-id-reused", reused.Json["type"]!.GetValue<string>());
        Assert.Equal("webhook-id", reused.Json["errors"]![0]!["header"]!.GetValue<string>());
        Assert.Equal(first.IngestionId, reused.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task A_retry_with_a_new_webhook_id_and_the_same_key_finds_the_first_ingestion_and_both_ids_answer_alike()
    {
        await using var app = App(azurite);
        var body = Bytes(Bodies.Metrics(2));
        var first = await SendAsync(app, "POST", "", body, app.Sign(body, webhookId: "msg_a"), "order-1");

        var retry = await SendAsync(app, "POST", "", body, app.Sign(body, webhookId: "msg_b"), "order-1");
        var retryOfRetry = await SendAsync(app, "POST", "", body, app.Sign(body, webhookId: "msg_b"));

        Assert.Equal(first.IngestionId, retry.IngestionId);
        Assert.Equal(first.IngestionId, retryOfRetry.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task A_key_reused_with_another_body_is_refused_and_leaves_the_new_webhook_id_free()
    {
        await using var app = App(azurite);
        var first = await app.PostMetricsAsync(Bodies.Metrics(1), idempotencyKey: "dup-key");
        var other = Bytes(Bodies.Metrics(2));

        var refused = await SendAsync(app, "POST", "", other, app.Sign(other, webhookId: "msg_new"), "dup-key");
        var fixedRetry = await SendAsync(app, "POST", "", other, app.Sign(other, webhookId: "msg_new"), "another-key");

        refused.AssertProblem(422);
        Assert.Equal("Idempotency-Key", refused.Json["errors"]![0]!["header"]!.GetValue<string>());
        Assert.Equal(first.IngestionId, refused.IngestionId);
        Assert.Equal(202, fixedRetry.Status);
        Assert.NotEqual(first.IngestionId, fixedRetry.IngestionId);
    }

    [Fact]
    public async Task Keys_are_scoped_per_partner_so_no_partner_learns_another_partners_ingestion()
    {
        await using var app = App(azurite);
        var body = Bytes(Bodies.Metrics(1));
        var mine = await SendAsync(app, "POST", "", body, app.Sign(body, webhookId: "msg_1"), "shared-key");
        var otherBody = Bytes(Bodies.Metrics(2));

        var theirs = await SendAsync(app, "POST", "", otherBody, app.Sign(otherBody, webhookId: "msg_1", secret: SignatureHarness.SecretA), "shared-key");

        Assert.Equal((202, 202), (mine.Status, theirs.Status));
        Assert.NotEqual(mine.IngestionId, theirs.IngestionId);
        Assert.DoesNotContain(mine.IngestionId, theirs.Body, StringComparison.Ordinal);
        Assert.Equal(2, await app.MessageCountAsync(app.Names.MetricsQueue));
    }
}
