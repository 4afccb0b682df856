using System.Text;
using System.Text.Json;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// Messages the processors must not lose or retry pointlessly: values JSON cannot carry, ingestions the edge left in
/// <c>receiving</c> or never wrote, messages that name no ingestion, and Twine's Retry-After. Through the processors,
/// against Azurite and the sandbox.
/// </summary>
public sealed class ProcessingEdgeCaseTests : IClassFixture<SandboxFixture>
{
    private const string MetricsRoute = "/patient_health_metric";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public ProcessingEdgeCaseTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    /// <summary>A version-1 metrics message as a partner might enqueue it directly.</summary>
    private static string Message(string ingestionId, int metrics = 2)
    {
        var data = ProcessingApp.Metrics(metrics)["data"]!.AsArray().Select(m => Encoding.UTF8.GetBytes(m!.ToJsonString())).ToList();
        return Encoding.UTF8.GetString(MetricsMessageWriter.Write(ingestionId, 0, 1, data));
    }

    [Fact]
    public async Task A_blood_pressure_of_1e400_is_recorded_as_failed_at_once_and_never_retried()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = IngestionId.New(app.Time);
        var metric = """{"type":"patient_health_metric","attributes":{"type":"blood_pressure","occurred_at":"2017-03-14T11:00:57.000Z","systolic":1e400,"diastolic":80},"relationships":{"patient":{"data":{"type":"patient","id":"5a1000000000000000000003"}}}}""";
        var text = Encoding.UTF8.GetString(MetricsMessageWriter.Write(id, 0, 1, [Encoding.UTF8.GetBytes(metric)]));
        // The one contract refuses it as the edge does (a number that is not a finite double), so it never reaches serialisation.
        Assert.Equal("/data/0/attributes/systolic", Assert.Single(MetricsMessageParser.Parse(text).Errors).Pointer);

        await app.MetricsProcessor().ProcessAsync(text, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Failed, 1), (record.Status, record.Failed));
        var error = Assert.Single(record.Errors);
        Assert.Equal(("InvalidQueueMessage", "/data/0/attributes/systolic"), (error.Code, error.Pointer));
        Assert.Empty(app.Retries().Sent);
        Assert.Equal(0, _sandbox.RequestCount("POST", MetricsRoute));
    }

    [Fact]
    public async Task An_ingestion_the_edge_left_receiving_past_its_lease_moves_on_to_succeeded()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = IngestionId.New(app.Time);
        Assert.NotNull(await app.Store.TryCreateReceivingAsync(id, new NewIngestion(IngestionKind.Metrics, 2, 1), "hash",
            app.Time.GetUtcNow() + IngestionAcceptor.ReceivingLease, CancellationToken.None));
        Assert.Equal("accepted", (await app.GetStatusAsync(id)).Json["status"]!.GetValue<string>()); // the edge died between enqueue and "accepted"
        app.Time.Advance(IngestionAcceptor.ReceivingLease);

        await app.MetricsProcessor().ProcessAsync(Message(id), 1, CancellationToken.None);

        var status = await app.GetStatusAsync(id);
        Assert.Equal((200, "succeeded"), (status.Status, status.Json["status"]!.GetValue<string>()));
        Assert.True((await app.Store.GetAsync(id, CancellationToken.None))!.RecoveredFromReceiving);
        Assert.Empty(app.Retries().Sent);
    }

    [Fact]
    public async Task A_message_processed_while_the_edge_is_still_receiving_moves_the_ingestion_on_and_the_edge_confirms_it_later()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = IngestionId.New(app.Time);
        var inserted = await app.Store.TryCreateReceivingAsync(id, new NewIngestion(IngestionKind.Metrics, 2, 1), "hash",
            app.Time.GetUtcNow() + IngestionAcceptor.ReceivingLease, CancellationToken.None);

        // The queue trigger ran before the edge marked the ingestion accepted (it does so after its 202).
        await app.MetricsProcessor().ProcessAsync(Message(id), 1, CancellationToken.None);

        var afterProcessing = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 2, true), (afterProcessing.Status, afterProcessing.Created, afterProcessing.RecoveredFromReceiving));
        Assert.Empty(app.Retries().Sent); // the message itself is the proof it was queued: nothing to come back for

        await app.Store.MarkAcceptedAsync(id, inserted, CancellationToken.None); // the edge's follow-up, after its ETag went stale

        var confirmed = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, false), (confirmed.Status, confirmed.RecoveredFromReceiving)); // every message was queued
        Assert.Equal(1, _sandbox.RequestCount("POST", MetricsRoute));
    }

    [Fact]
    public async Task A_hidden_message_of_a_refused_repeat_that_reappears_after_a_crash_is_dropped_and_never_reaches_twine()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        // Accepted: its row, its kept copy and its message.
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(2))).IngestionId;
        var own = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        // A repeat of the same webhook-id with another body sent its message hidden beside the insert that found the row,
        // and stopped before deleting it: the message carries the ingestion's id and index, and other metrics.
        var stray = Message(id, metrics: 3);
        using var ownDocument = JsonDocument.Parse(own);
        var retried = Encoding.UTF8.GetString(QueueRetryFields.WithRetry(ownDocument.RootElement, 2, app.Time.GetUtcNow()));

        await app.MetricsProcessor().ProcessAsync(stray, 1, CancellationToken.None);
        var afterStray = (await app.Store.GetAsync(id, CancellationToken.None))!;
        await app.MetricsProcessor().ProcessAsync(retried, 1, CancellationToken.None); // the ingestion's own message, rescheduled once: not stray

        Assert.Equal((IngestionStatus.Accepted, 0), (afterStray.Status, afterStray.MessagesDone));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Message.Contains("dropped: it differs from the message the edge recorded", StringComparison.Ordinal)
            && r.Message.Contains(id, StringComparison.Ordinal));
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 2), (record.Status, record.Created));
        Assert.Equal(1, _sandbox.RequestCount("POST", MetricsRoute)); // only the ingestion's own metrics
    }

    [Fact]
    public async Task A_message_of_a_webhook_id_that_became_an_alias_is_dropped()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var body = ProcessingApp.Metrics(1);
        var first = await app.PostMetricsAsync(body, idempotencyKey: "alias-key");
        var retry = await app.PostMetricsAsync(body, idempotencyKey: "alias-key"); // a new webhook-id: its row becomes an alias
        Assert.Equal(first.IngestionId, retry.IngestionId);
        var aliasId = Assert.Single(await app.RowsAsync(app.Names.IngestionsTable), r => r.GetString("AliasOf") is not null).PartitionKey;

        await app.MetricsProcessor().ProcessAsync(Message(aliasId, metrics: 1), 1, CancellationToken.None);

        Assert.Equal(0, _sandbox.RequestCount("POST", MetricsRoute));
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue)); // the first request's message only
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Message.Contains("webhook-id repeated an earlier ingestion", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_for_an_ingestion_with_no_row_is_recorded_not_dropped()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var delivered = IngestionId.New(app.Time);
        var failing = IngestionId.New(app.Time);

        await app.MetricsProcessor().ProcessAsync(Message(delivered), 1, CancellationToken.None);
        _sandbox.Faults.Add("POST", MetricsRoute, FaultKind.ServiceUnavailable);
        await app.MetricsProcessor().ProcessAsync(Message(failing), 1, CancellationToken.None);

        Assert.Equal("succeeded", (await app.GetStatusAsync(delivered)).Json["status"]!.GetValue<string>());
        var retrying = (await app.GetStatusAsync(failing)).Json;
        Assert.Equal(("retrying", 1), (retrying["status"]!.GetValue<string>(), retrying["retry"]!["attempt"]!.GetValue<int>()));
        Assert.Single(app.Retries().Sent);
    }

    [Fact]
    public async Task A_message_that_names_no_valid_ingestion_is_kept_for_an_operator()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var text = Message(IngestionId.New(app.Time)).Replace("\"ingestionId\":\"", "\"ingestionId\":\"X", StringComparison.Ordinal);

        await app.MetricsProcessor().ProcessAsync(text, 1, "queue-message-7", CancellationToken.None);

        Assert.Equal([text], await app.DecodedMessagesAsync(app.Names.MetricsQueue + "-unattributed"));
        Assert.Contains(app.Logs.GetSnapshot(), r => r.Message.Contains("queue-message-7", StringComparison.Ordinal) && r.Message.Contains("-unattributed", StringComparison.Ordinal));
        Assert.Empty(await app.IngestionRowsAsync());
    }

    /// <summary>Two ingestions (2 and 3 metrics) accepted, then Twine answers 429 with <paramref name="retryAfter"/> and both messages are processed.</summary>
    private async Task<(string First, string Second)> TwoIngestionsMeetARateLimitAsync(TestApp app, TimeSpan retryAfter)
    {
        var first = (await app.PostMetricsAsync(ProcessingApp.Metrics(2))).IngestionId;
        var second = (await app.PostMetricsAsync(ProcessingApp.Metrics(3))).IngestionId;
        var messages = await app.DecodedMessagesAsync(app.Names.MetricsQueue);
        _sandbox.Faults.Add("POST", MetricsRoute, FaultKind.TooManyRequests, retryAfter: retryAfter);
        foreach (var message in messages)
        {
            await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);
        }

        return (first, second);
    }

    /// <summary>After <paramref name="wait"/> the rescheduled copies are processed and both ingestions succeed.</summary>
    private static async Task RescheduledSucceedAfterAsync(TestApp app, TimeSpan wait, string first, string second)
    {
        app.Time.Advance(wait);
        foreach (var rescheduled in app.Retries().Sent.ToList())
        {
            await app.MetricsProcessor().ProcessAsync(rescheduled.Text, 1, CancellationToken.None);
        }

        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(first, CancellationToken.None))!.Status);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(second, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_short_rate_limit_brings_messages_back_when_twine_said_not_after_the_outage_pause()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var (first, second) = await TwoIngestionsMeetARateLimitAsync(app, TimeSpan.FromSeconds(2));

        Assert.Equal(1, _sandbox.RequestCount("POST", MetricsRoute)); // the second message held off without calling Twine
        Assert.Equal(2, app.Retries().Sent.Count);
        Assert.All(app.Retries().Sent, r => Assert.InRange(r.Delay, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3))); // not 30 s

        await RescheduledSucceedAfterAsync(app, TimeSpan.FromSeconds(3), first, second);
    }

    [Fact]
    public async Task Retry_after_sets_the_delay_at_least_that_long_and_other_messages_wait_without_calling_twine()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var (first, second) = await TwoIngestionsMeetARateLimitAsync(app, TimeSpan.FromMinutes(10));

        Assert.Equal(1, _sandbox.RequestCount("POST", MetricsRoute)); // the second message did not call Twine
        Assert.Equal(2, app.Retries().Sent.Count);
        Assert.All(app.Retries().Sent, r => Assert.True(r.Delay >= TimeSpan.FromMinutes(10), r.Delay.ToString()));
        var paused = (await app.Store.GetAsync(first, CancellationToken.None))!.Retry!.LastError
            + " / " + (await app.Store.GetAsync(second, CancellationToken.None))!.Retry!.LastError;
        Assert.Contains("429 TooManyRequests", paused, StringComparison.Ordinal);
        Assert.Contains("Twine calls paused on this instance after 429 TooManyRequests", paused, StringComparison.Ordinal);

        await RescheduledSucceedAfterAsync(app, TimeSpan.FromMinutes(12), first, second);
    }

    [Fact]
    public async Task A_reschedule_before_the_edge_accepts_shows_retrying_once_accepted()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = IngestionId.New(app.Time);
        var etag = await app.Store.TryCreateReceivingAsync(id, new NewIngestion(IngestionKind.Metrics, 2, 1), "hash",
            app.Time.GetUtcNow() + IngestionAcceptor.ReceivingLease, CancellationToken.None);
        _sandbox.Faults.Add("POST", MetricsRoute, FaultKind.ServiceUnavailable);

        await app.MetricsProcessor().ProcessAsync(Message(id), 1, CancellationToken.None); // rescheduled while the edge is still queueing
        await app.Store.MarkAcceptedAsync(id, etag, CancellationToken.None);

        Assert.Equal("retrying", (await app.GetStatusAsync(id)).Json["status"]!.GetValue<string>());
    }
}
