using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>
/// Issue 15's accept path, counted through a pipeline policy on every storage client the app builds (never timed): what
/// the partner waits for, and what the edge does after its 202. Counted per call (a transport retry under load is not a second call).
/// </summary>
public sealed class AcceptStorageCallsTests(AzuriteFixture azurite)
{
    /// <summary>
    /// Counts calls by what they are, not by when they were seen: the edge's after-answer work starts on another thread
    /// the moment the handler returns, so a snapshot taken "at the answer" can already hold its first call on a busy
    /// machine. The after-answer calls are of kinds the accept itself never makes: a kept-copies transaction, a message
    /// update (reveal), a merge of the ingestion row, an insert into the history index.
    /// </summary>
    private sealed class Counter(int tablePort) : HttpPipelineSynchronousPolicy
    {
        private readonly object _gate = new();
        private (int Table, int Queue) _accept, _after;

        public string IndexTable { get; set; } = "";

        public ((int Table, int Queue) Accept, (int Table, int Queue) After) Now
        {
            get
            {
                lock (_gate)
                {
                    return (_accept, _after);
                }
            }
        }

        public override void OnSendingRequest(HttpMessage message)
        {
            var table = message.Request.Uri.Port == tablePort;
            var path = message.Request.Uri.Path;
            var method = message.Request.Method;
            var afterAnswer = table
                ? path.Contains("$batch", StringComparison.Ordinal) || method != RequestMethod.Post && method != RequestMethod.Get && method != RequestMethod.Delete
                  || path.Contains(IndexTable, StringComparison.Ordinal)
                : method == RequestMethod.Put;
            lock (_gate)
            {
                ref var counts = ref afterAnswer ? ref _after : ref _accept;
                counts = table ? (counts.Table + 1, counts.Queue) : (counts.Table, counts.Queue + 1);
            }
        }
    }

    private (TestApp App, Counter Calls) Create()
    {
        var counter = new Counter(azurite.TablePort);
        var app = new TestApp(azurite, register: (services, _) =>
            services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(counter, HttpPipelinePosition.PerCall))));
        counter.IndexTable = app.Names.IngestionIndexTable;
        return (app, counter);
    }

    private static async Task<(TestResponse Response, (int Table, int Queue) BeforeAnswer, (int Table, int Queue) AfterAnswer)> PostCountedAsync(
        TestApp app, Counter calls, byte[] body, string? idempotencyKey = null)
    {
        var start = calls.Now;
        using var stream = new MemoryStream(body);
        var result = await app.Metrics.HandleAsync(new WebhookRequest(app.Sign(body), "application/vnd.api+json", null, body.Length, idempotencyKey, stream), CancellationToken.None);
        var response = await app.ExecuteAsync(result); // runs the result, then waits for the edge's follow-ups
        var settled = calls.Now;
        return (response, (settled.Accept.Table - start.Accept.Table, settled.Accept.Queue - start.Accept.Queue),
            (settled.After.Table - start.After.Table, settled.After.Queue - start.After.Queue));
    }

    private static byte[] Body(int metrics) => System.Text.Encoding.UTF8.GetBytes(Bodies.Metrics(metrics).ToJsonString());

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(1000)] // ten messages, sent at once
    public async Task A_request_costs_one_insert_and_its_sends_all_at_once_before_its_202(int metrics)
    {
        var (app, calls) = Create();
        await using var _ = app;
        await app.PostMetricsAsync(Body(1)); // warm: clients built, nothing else

        var (response, before, after) = await PostCountedAsync(app, calls, Body(metrics));

        Assert.Equal(202, response.Status);
        var messages = (metrics + 99) / 100;
        Assert.Equal((1, messages), before); // the row (also the webhook-id's claim) and each message, sent hidden, at once
        Assert.Equal((3, messages), after); // after the answer: the kept copies (one transaction), each message revealed, the accepted mark, the index row
        Assert.Equal("accepted", (await app.GetStatusAsync(response.IngestionId)).Json["status"]!.GetValue<string>());
        Assert.Equal(messages, (await app.KeptMessageRowsAsync()).Count(r => r.PartitionKey == response.IngestionId));
    }

    [Fact]
    public async Task An_idempotency_key_is_claimed_in_the_same_round_trip_as_the_row()
    {
        var (app, calls) = Create();
        await using var _ = app;
        await app.PostMetricsAsync(Body(1));

        var (response, before, _) = await PostCountedAsync(app, calls, Body(1), idempotencyKey: "order-7");

        Assert.Equal(202, response.Status);
        Assert.Equal((2, 1), before); // the row, the key's claim and the hidden message are sent together
    }

    [Fact]
    public async Task A_repeated_webhook_id_is_answered_from_the_row_it_finds_and_queues_nothing()
    {
        var (app, calls) = Create();
        await using var _ = app;
        var body = Body(2);
        var headers = app.Sign(body, webhookId: "msg_repeat");
        using (var first = new MemoryStream(body))
        {
            Assert.Equal(202, (await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(headers, "application/vnd.api+json", null, body.Length, null, first), CancellationToken.None))).Status);
        }

        var start = calls.Now;
        using var again = new MemoryStream(body);
        var repeat = await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(app.Sign(body, webhookId: "msg_repeat"), "application/vnd.api+json", null, body.Length, null, again), CancellationToken.None));

        Assert.Equal(202, repeat.Status);
        // The insert that found the row and the hidden send (together), then the read of the row and the deletion of that message; nothing after.
        var end = calls.Now;
        Assert.Equal((2, 2), (end.Accept.Table - start.Accept.Table, end.Accept.Queue - start.Accept.Queue));
        Assert.Equal(start.After, end.After);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Until_the_edge_marks_it_accepted_after_the_answer_the_ingestion_reads_as_accepted_and_is_not_listed()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(1);
        var hash = IngestionAcceptor.RequestHash("POST", "metrics", System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        var id = IngestionId.New(app.Time);
        var inserted = await app.Store.TryCreateReceivingAsync(id, new NewIngestion(IngestionKind.Metrics, 1, 1), hash,
            app.Time.GetUtcNow() + IngestionAcceptor.ReceivingLease, CancellationToken.None);

        var beforeMark = await app.GetStatusAsync(id);
        Assert.Empty(await app.RowsAsync(app.Names.IngestionIndexTable)); // the index row comes with the mark
        await app.Store.MarkAcceptedAsync(id, inserted, CancellationToken.None);

        Assert.Equal("accepted", beforeMark.Json["status"]!.GetValue<string>());
        var indexRow = Assert.Single(await app.RowsAsync(app.Names.IngestionIndexTable));
        Assert.Equal(("accepted", id), (indexRow.GetString("Status"), indexRow.GetString("IngestionId")));
        Assert.Equal(IngestionStatus.Accepted, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
    }
}
