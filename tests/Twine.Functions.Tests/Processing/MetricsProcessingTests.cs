using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client.Auth;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// Metrics end to end: HTTP edge → Azurite queue → MetricsMessageProcessor → the sandbox over HTTP → the ingestion tables.
/// </summary>
public sealed class MetricsProcessingTests : IClassFixture<SandboxFixture>
{
    private const string MetricsRoute = "/patient_health_metric";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public MetricsProcessingTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Fact]
    public async Task Accepted_metrics_are_created_in_twine_and_the_ingestion_succeeds_with_their_ids()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(150))).IngestionId;
        var messages = await app.TakeMessagesAsync(app.Names.MetricsQueue);

        foreach (var message in messages)
        {
            await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);
        }

        Assert.Equal(2, messages.Count);
        var inTwine = await app.SandboxMetricsAsync();
        Assert.Equal(150, inTwine.Count);
        Assert.Equal(2, _sandbox.RequestCount("POST", MetricsRoute)); // one bulk create per message
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 2, 150, 0, 0), (record.Status, record.MessagesDone, record.Created, record.IgnoredDuplicates, record.Failed));
        Assert.Equal(inTwine.Select(m => m.Id!).Order(), record.TwineIds.Order());
        var json = (await app.GetStatusAsync(id)).Json;
        Assert.Equal("succeeded", json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_thousand_metrics_cost_ten_creates_and_one_token_request()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(1000))).IngestionId;

        await Task.WhenAll((await app.TakeMessagesAsync(app.Names.MetricsQueue))
            .Select(m => app.MetricsProcessor().ProcessAsync(m, 1, CancellationToken.None))); // a batch, in parallel as the host runs it

        Assert.Equal(10, _sandbox.RequestCount("POST", MetricsRoute));
        Assert.Equal(1, _sandbox.RequestCount("POST", "/oauth/token")); // concurrent callers share one token request
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 10, 1000, 1000), (record.Status, record.MessagesDone, record.Created, record.TwineIds.Count));
    }

    [Fact]
    public async Task Processing_marks_the_ingestion_processing_until_every_message_is_done()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(150))).IngestionId;
        var messages = await app.TakeMessagesAsync(app.Names.MetricsQueue);

        await app.MetricsProcessor().ProcessAsync(messages[0], 1, CancellationToken.None);

        Assert.Equal(IngestionStatus.Processing, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_message_twine_rejects_makes_the_ingestion_partly_succeeded_with_twines_errors()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var body = ProcessingApp.Metrics(150)
            .With("data/120/relationships/patient/data/id", null, remove: true)
            .With("data/120/relationships/patient/data/meta", JsonNode.Parse("""{"query":{"identifier":{"system":"medical-record-number","value":"no-such-mrn"},"organization":"58c4554710123c5c40dbab81"}}"""));
        var id = (await app.PostMetricsAsync(body)).IngestionId;

        foreach (var message in await app.TakeMessagesAsync(app.Names.MetricsQueue))
        {
            await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None); // no throw: a rejection is recorded
        }

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.PartlySucceeded, 100, 50), (record.Status, record.Created, record.Failed));
        var error = Assert.Single(record.Errors);
        Assert.Equal("InvalidBodyParameter", error.Code);
        Assert.StartsWith("/data/20/", error.Pointer, StringComparison.Ordinal); // index 20 of the second message
        Assert.False(string.IsNullOrEmpty(error.ReqId));
        Assert.Equal(100, (await app.SandboxMetricsAsync()).Count); // Twine writes nothing of a request with one bad item
    }

    [Fact]
    public async Task A_message_delivered_twice_creates_the_metrics_once_and_leaves_the_tables_as_one_delivery()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(3))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);
        var once = await app.SnapshotAsync();
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.MetricsProcessor().ProcessAsync(message, 2, CancellationToken.None);

        Assert.Equal(once, await app.SnapshotAsync());
        Assert.Equal(3, (await app.SandboxMetricsAsync()).Count);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_redelivery_after_twine_created_the_metrics_but_nothing_was_recorded_creates_nothing_twice()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(3))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        // The first delivery's bulk create reached Twine, then the instance stopped before recording anything.
        var earlier = ProcessingApp.Metrics(3)["data"]!.AsArray()
            .Select(m => System.Text.Json.JsonSerializer.Deserialize(m!.ToJsonString(), Twine.Client.Serialization.TwineJsonContext.Default.PatientHealthMetricResource)!).ToList();
        await app.Twine().CreatePatientHealthMetricAsync(earlier, ignoreDuplicates: true, TestContext.Current.CancellationToken);

        await app.MetricsProcessor().ProcessAsync(message, 2, CancellationToken.None);

        Assert.Equal(3, (await app.SandboxMetricsAsync()).Count);
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 0, 3), (record.Status, record.Created, record.IgnoredDuplicates));
    }

    [Theory]
    [InlineData(FaultKind.ServiceUnavailable, "503 ServiceUnavailable")]
    [InlineData(FaultKind.TooManyRequests, "429 TooManyRequests")]
    [InlineData(FaultKind.InternalServerError, "500 InternalServerError")]
    public async Task A_transient_twine_failure_reschedules_the_message_shows_retrying_and_the_retry_succeeds(FaultKind fault, string error)
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(3))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        _sandbox.Faults.Add("POST", MetricsRoute, fault);
        var failedAt = app.Time.GetUtcNow();

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None); // rescheduled: returns, the host completes it
        var status = (await app.GetStatusAsync(id)).Json;
        var rescheduled = Assert.Single(app.Retries().Sent);
        app.Time.Advance(rescheduled.Delay);
        await app.MetricsProcessor().ProcessAsync(rescheduled.Text, 1, CancellationToken.None);

        Assert.Equal("retrying", status["status"]!.GetValue<string>());
        Assert.Equal(1, status["retry"]!["attempt"]!.GetValue<int>());
        Assert.Equal($"createPatientHealthMetric: {error}", status["retry"]!["lastError"]!.GetValue<string>());
        if (fault == FaultKind.TooManyRequests)
        {
            // The sandbox's 429 says Retry-After: 1: a rate limit, so back after 1 s to 1.5 s, not the outage schedule.
            Assert.InRange(rescheduled.Delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5));
        }
        else
        {
            Assert.InRange(rescheduled.Delay, TimeSpan.FromSeconds(24), TimeSpan.FromSeconds(36)); // 30 s ± 20 %
        }
        Assert.Equal(failedAt + rescheduled.Delay, status["retry"]!["nextAttemptAt"]!.GetValue<DateTimeOffset>());
        var sent = JsonNode.Parse(rescheduled.Text)!.AsObject();
        var original = JsonNode.Parse(message)!.AsObject();
        Assert.Equal((1, failedAt), (sent["attempt"]!.GetValue<int>(), sent["firstFailedAt"]!.GetValue<DateTimeOffset>()));
        sent.Remove("attempt");
        sent.Remove("firstFailedAt");
        Assert.True(JsonNode.DeepEquals(original, sent)); // everything else carried unchanged
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 3, null), (record.Status, record.Created, record.Retry));
        Assert.Equal(3, (await app.SandboxMetricsAsync()).Count);
    }

    [Fact]
    public async Task A_permanent_twine_rejection_is_recorded_and_not_thrown()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(2).With("data/1/relationships/patient/data/id", "5a10000000000000000000ff"))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Failed, 0, 2), (record.Status, record.Created, record.Failed));
        var error = Assert.Single(record.Errors);
        Assert.False(string.IsNullOrEmpty(error.Code));
        Assert.False(string.IsNullOrEmpty(error.ReqId));
        Assert.Equal(1, _sandbox.RequestCount("POST", MetricsRoute)); // not retried by the client either
        Assert.Empty(await app.SandboxMetricsAsync());
    }

    [Fact]
    public async Task Rotated_credentials_are_picked_up_from_the_provider_after_InvalidCredentials()
    {
        var provider = new RotatingCredentials(new TwineCredentials(SandboxOptions.DefaultClientId, SandboxOptions.DefaultClientSecret));
        await using var app = ProcessingApp.Create(_azurite, _sandbox, s => s.AddSingleton<ITwineCredentialsProvider>(provider));
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(2))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        _sandbox.RotateCredentials("rotated-client-id", "rotated-client-secret");
        provider.Next = new TwineCredentials("rotated-client-id", "rotated-client-secret"); // the vault holds the new secret

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(id, CancellationToken.None))!.Status);
        Assert.Equal(1, provider.Refreshes);
    }

    [Fact]
    public async Task InvalidCredentials_that_renewal_does_not_cure_are_recorded_as_a_permanent_failure()
    {
        var provider = new RotatingCredentials(new TwineCredentials(SandboxOptions.DefaultClientId, SandboxOptions.DefaultClientSecret));
        await using var app = ProcessingApp.Create(_azurite, _sandbox, s => s.AddSingleton<ITwineCredentialsProvider>(provider));
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(2))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        _sandbox.RotateCredentials("rotated-client-id", "rotated-client-secret"); // and nobody updated the vault

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(IngestionStatus.Failed, record.Status);
        Assert.Equal(TwineErrorCodes.InvalidCredentials, Assert.Single(record.Errors).Code);
        Assert.Equal(0, _sandbox.RequestCount("POST", MetricsRoute));
    }

    [Fact]
    public async Task Key_vault_unreachable_reschedules_the_message_and_records_no_outcome()
    {
        var vault = new Secrets.StandInKeyVault { Unreachable = true };
        await using var app = ProcessingApp.Create(_azurite, _sandbox, s => s.AddSingleton<ITwineCredentialsProvider>(sp =>
            vault.CreateTwineCredentialsProvider(sp.GetRequiredService<TimeProvider>())));
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(2))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        Assert.Empty(await app.Store.GetResultsAsync(id, CancellationToken.None));
        Assert.Single(app.Retries().Sent);
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(IngestionStatus.Retrying, record.Status);
        Assert.StartsWith("Twine credentials unavailable", record.Retry!.LastError);
        Assert.Equal(0, _sandbox.RequestCount("POST", MetricsRoute));
    }

    [Fact]
    public async Task A_malformed_message_is_recorded_as_failed_at_once_without_calling_twine()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(2))).IngestionId;
        var message = JsonNode.Parse(Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue)))!
            .With("data/1/attributes/occurred_at", "yesterday").ToJsonString();

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Failed, 2), (record.Status, record.Failed));
        Assert.Equal(("InvalidQueueMessage", "/data/1/attributes/occurred_at"), (record.Errors[0].Code, record.Errors[0].Pointer));
        Assert.Equal(0, _sandbox.RequestCount("POST", MetricsRoute));
    }

    [Fact]
    public async Task Processing_logs_carry_the_ingestion_id_counts_and_req_ids_and_no_patient_data()
    {
        const string secret = "PATIENT-MRN-55501";
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var body = ProcessingApp.Metrics(3).With("data/2/attributes/unit", secret);
        var id = (await app.PostMetricsAsync(body)).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
        app.Logs.Clear();

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var records = app.Logs.GetSnapshot();
        Assert.NotEmpty(records);
        // The app's and the Twine client's lines (the Azure SDK's forwarded event-source lines are its own).
        Assert.All(records.Where(r => r.Category?.StartsWith("Twine.", StringComparison.Ordinal) == true), r => Assert.True(
            r.Message.Contains(id, StringComparison.Ordinal) || r.Scopes.Any(s => s?.ToString()?.Contains(id, StringComparison.Ordinal) == true
                || (s is IEnumerable<KeyValuePair<string, object>> pairs && pairs.Any(p => Equals(p.Value, id)))),
            $"log line without the ingestion id: {r.Category}: {r.Message}"));
        var created = Assert.Single(records, r => r.Message.Contains("Twine created 3 metrics", StringComparison.Ordinal));
        Assert.Matches("req_id [0-9a-f-]{36}", created.Message);
        Assert.DoesNotContain(records, r => r.Message.Contains(secret, StringComparison.Ordinal)
            || (r.StructuredState ?? []).Any(kv => kv.Value?.Contains(secret, StringComparison.Ordinal) == true));
    }

    /// <summary>A credentials provider whose store can be rotated: returns <see cref="Next"/> once asked to refresh.</summary>
    private sealed class RotatingCredentials(TwineCredentials current) : ITwineCredentialsProvider
    {
        private int _refreshes;

        public TwineCredentials? Next { get; set; }

        public int Refreshes => Volatile.Read(ref _refreshes);

        public ValueTask<TwineCredentials> GetCredentialsAsync(bool refresh, CancellationToken cancellationToken)
        {
            if (refresh)
            {
                Interlocked.Increment(ref _refreshes);
                current = Next ?? current;
            }

            return ValueTask.FromResult(current);
        }
    }
}
