using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Ingestion;

public sealed class IdempotencyTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Same_key_and_body_returns_the_first_ingestion_and_queues_nothing_more()
    {
        await using var app = new TestApp(azurite);
        var first = await app.PostMetricsAsync(Bodies.Metrics(150), idempotencyKey: "order-42");

        var again = await app.PostMetricsAsync(Bodies.Metrics(150), idempotencyKey: "order-42");

        Assert.Equal((202, 202), (first.Status, again.Status));
        Assert.Equal(first.IngestionId, again.IngestionId);
        Assert.Equal(first.Headers["Location"], again.Headers["Location"]);
        Assert.Equal(2, await app.MessageCountAsync(app.Names.MetricsQueue));
        Assert.Single(await app.IngestionRowsAsync());
    }

    [Fact]
    public async Task Same_key_with_another_body_is_refused_with_422()
    {
        await using var app = new TestApp(azurite);
        var first = await app.PostMetricsAsync(Bodies.Metrics(2), idempotencyKey: "order-43");

        var other = await app.PostMetricsAsync(Bodies.Metrics(3), idempotencyKey: "order-43");

        other.AssertProblem(422);
        Assert.Equal("urn:twine-functions:problem:idempotency-key-reused", other.Json["type"]!.GetValue<string>());
        Assert.Equal(first.IngestionId, other.Json["ingestionId"]!.GetValue<string>());
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
        Assert.Single(await app.IngestionRowsAsync());
    }

    [Fact]
    public async Task Same_key_on_another_endpoint_is_refused_with_422()
    {
        await using var app = new TestApp(azurite);
        await app.PostMetricsAsync(Bodies.Metrics(1), idempotencyKey: "shared");

        var delete = await app.DeleteCalendarEventAsync("evt-1", idempotencyKey: "shared");

        delete.AssertProblem(422);
        Assert.Equal(0, await app.MessageCountAsync(app.Names.CalendarEventsQueue));
    }

    [Fact]
    public async Task A_key_is_remembered_for_24_hours_then_starts_a_new_ingestion()
    {
        await using var app = new TestApp(azurite);
        var first = await app.PostMetricsAsync(Bodies.Metrics(1), idempotencyKey: "daily");

        app.Time.Advance(TimeSpan.FromHours(23));
        var withinWindow = await app.PostMetricsAsync(Bodies.Metrics(2), idempotencyKey: "daily");
        app.Time.Advance(TimeSpan.FromHours(2));
        var afterWindow = await app.PostMetricsAsync(Bodies.Metrics(2), idempotencyKey: "daily");

        withinWindow.AssertProblem(422);
        Assert.Equal(202, afterWindow.Status);
        Assert.NotEqual(first.IngestionId, afterWindow.IngestionId);
        var keyRow = Assert.Single(await app.RowsAsync(app.Names.IngestionKeysTable), r => r.PartitionKey == KeyPartition("daily"));
        Assert.Equal(afterWindow.IngestionId, keyRow.GetString("IngestionId"));
        Assert.Equal(2, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_make_one_ingestion()
    {
        await using var app = new TestApp(azurite);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => app.PostMetricsAsync(Bodies.Metrics(120), idempotencyKey: "burst")));

        // Each answer is the one ingestion (202) or "still being accepted, retry" (409); never a second ingestion.
        Assert.All(responses, r => Assert.Contains(r.Status, new[] { 202, 409 }));
        Assert.Single(responses.Select(r => r.Json["ingestionId"]!.GetValue<string>()).Distinct());
        Assert.Contains(responses, r => r.Status == 202);
        Assert.Single(await app.IngestionRowsAsync());
        // One Idempotency-Key row; each request's own webhook-id row points at the same ingestion.
        var keys = await app.RowsAsync(app.Names.IngestionKeysTable);
        Assert.Single(keys, r => r.PartitionKey == KeyPartition("burst"));
        Assert.Single(keys.Select(r => r.GetString("IngestionId")).Distinct());
        Assert.Equal(2, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    private static string KeyPartition(string idempotencyKey) =>
        TableKeys.IdempotencyKeyPartition(new RequestKeys(TestApp.TestPartner, "any", idempotencyKey).IdempotencyKeyKey!);

    [Fact]
    public async Task Queueing_failure_answers_503_leaves_nothing_accepted_and_a_retry_with_the_key_queues_it()
    {
        await using var app = new TestApp(azurite);
        var failing = HandlerWithUnreachableQueue(app);
        var body = Bodies.Metrics(2);

        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        var failed = await app.ExecuteAsync(await failing.HandleAsync(new WebhookRequest(app.Sign(stream.ToArray()), "application/vnd.api+json", null, stream.Length, "retry-me", stream), CancellationToken.None));

        failed.AssertProblem(503);
        Assert.Equal("5", failed.Headers["Retry-After"]);
        var id = failed.Json["ingestionId"]!.GetValue<string>();
        var record = await app.Store.GetAsync(id, CancellationToken.None);
        Assert.Equal(IngestionStatus.Failed, record!.Status);
        Assert.True(record.FailedWhileReceiving);
        Assert.Equal(0, await app.MessageCountAsync(app.Names.MetricsQueue));

        var retry = await app.PostMetricsAsync(body, idempotencyKey: "retry-me");

        Assert.Equal(202, retry.Status);
        Assert.Equal(id, retry.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
        Assert.Equal(IngestionStatus.Accepted, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_request_that_stopped_before_queueing_is_in_progress_until_its_lease_ends_then_a_retry_queues_it()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(1);
        var hash = IngestionAcceptor.RequestHash("POST", "metrics", System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        var keys = app.Services.GetRequiredService<IdempotencyKeyStore>();
        // The first attempt claimed the key and recorded the ingestion, then the instance stopped.
        var id = IngestionId.New(app.Time);
        await keys.ClaimAsync(new RequestKeys(TestApp.TestPartner, "msg_first", "crashed").IdempotencyKeyKey!, id, hash, CancellationToken.None);
        await app.Store.TryCreateReceivingAsync(id, new NewIngestion(IngestionKind.Metrics, 1, 1), hash,
            app.Time.GetUtcNow() + IngestionAcceptor.ReceivingLease, CancellationToken.None);

        var early = await app.PostMetricsAsync(body, idempotencyKey: "crashed");
        var whileReceiving = await app.GetStatusAsync(id);
        app.Time.Advance(IngestionAcceptor.ReceivingLease + TimeSpan.FromSeconds(1));
        var late = await app.PostMetricsAsync(body, idempotencyKey: "crashed");

        early.AssertProblem(409);
        Assert.Equal("2", early.Headers["Retry-After"]); // a first attempt finishes within a second or two, or its lease runs out
        // Recorded with the 202 still to come: it reads as accepted (its id is only handed out with the 202, or to a retry told to wait).
        Assert.Equal("accepted", whileReceiving.Json["status"]!.GetValue<string>());
        Assert.Equal(202, late.Status);
        Assert.Equal(id, late.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task A_key_claimed_by_a_request_that_stopped_before_recording_is_taken_over_after_the_lease()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(1);
        var hash = IngestionAcceptor.RequestHash("POST", "metrics", System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        var id = IngestionId.New(app.Time);
        await app.Services.GetRequiredService<IdempotencyKeyStore>().ClaimAsync(new RequestKeys(TestApp.TestPartner, "msg_first", "half").IdempotencyKeyKey!, id, hash, CancellationToken.None);

        var early = await app.PostMetricsAsync(body, idempotencyKey: "half");
        app.Time.Advance(TimeSpan.FromMinutes(2));
        var late = await app.PostMetricsAsync(body, idempotencyKey: "half");

        early.AssertProblem(409);
        Assert.Equal(202, late.Status);
        Assert.Equal(id, late.IngestionId);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    /// <summary>The real handler, but its queue client points at a port where nothing listens (and does not retry).</summary>
    private static MetricsIngestionHandler HandlerWithUnreachableQueue(TestApp app)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        options.Retry.MaxRetries = 0;
        var unreachable = new QueueServiceClient(
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};QueueEndpoint=http://127.0.0.1:9/{AzuriteFixture.AccountName};",
            options);
        var queues = new IngestionQueues(unreachable, app.Services.GetRequiredService<IOptions<StorageOptions>>(), app.Services.GetRequiredService<StorageTables>());
        var acceptor = new IngestionAcceptor(app.Store, app.Services.GetRequiredService<IdempotencyKeyStore>(), queues,
            app.Services.GetRequiredService<AcceptFollowUps>(), app.Time, NullLogger<IngestionAcceptor>.Instance);
        return new MetricsIngestionHandler(acceptor, app.Services.GetRequiredService<WebhookVerifier>(), NullLogger<MetricsIngestionHandler>.Instance);
    }
}
