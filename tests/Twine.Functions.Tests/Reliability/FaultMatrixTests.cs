using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client.Auth;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Functions.Tests.Secrets;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Retries;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// The fault matrix, end to end in-process: POST /api/metrics (the real handler) → the Azurite queue → an at-least-once
/// driver that behaves like the Functions host (visibility, dequeue count, poison after 5) → MetricsMessageProcessor →
/// the Twine client (1 retry, 500 ms per attempt) → the sandbox with a fault injected → the ingestion tables. For each
/// fault: every accepted metric is in Twine exactly once (counted in the sandbox), every ingestion ends in a final
/// status, and nothing is lost (a metric not in Twine belongs to an ingestion recorded as failed).
/// </summary>
public sealed class FaultMatrixTests : IClassFixture<SandboxFixture>
{
    private const string MetricsRoute = "/patient_health_metric";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public FaultMatrixTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Fact]
    public async Task Too_many_requests_with_Retry_After()
    {
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var run = await FaultRun.IngestAsync(app, _sandbox);
        _sandbox.Faults.Add("POST", MetricsRoute, FaultKind.TooManyRequests, count: 3, retryAfter: TimeSpan.FromSeconds(1));

        var host = new AtLeastOnceQueueHostBuilder(app) { BatchSize = 1 }.Build(); // one at a time: the faults hit one message
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(host.Failures >= 1);
        await run.AssertEveryMetricInTwineOnceAsync(host, "429 Too Many Requests", "3 × 429 `Retry-After: 1` on POST /patient_health_metric (client honours it once, then the message is rescheduled)");
    }

    [Theory]
    [InlineData(FaultKind.InternalServerError, "500 Internal Server Error", "3 × 500 on POST /patient_health_metric")]
    [InlineData(FaultKind.ServiceUnavailable, "503 Service Unavailable", "3 × 503 on POST /patient_health_metric")]
    [InlineData(FaultKind.DropConnection, "dropped connection", "3 × connection aborted without an answer on POST /patient_health_metric")]
    public async Task Server_errors_and_dropped_connections(FaultKind fault, string name, string how)
    {
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var run = await FaultRun.IngestAsync(app, _sandbox);
        _sandbox.Faults.Add("POST", MetricsRoute, fault, count: 3);

        var host = new AtLeastOnceQueueHostBuilder(app) { BatchSize = 1 }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(host.Rescheduled >= 1, "the client's one retry cannot absorb three faults: the message was rescheduled");
        await run.AssertEveryMetricInTwineOnceAsync(host, name, how);
    }

    [Fact]
    public async Task Timeouts()
    {
        // The sandbox holds the request three times as long as the attempt timeout, so the timeout trips however fast or
        // slow the machine is; healthy answers stay far below the 2 s even on a loaded machine (500 ms did not).
        var attemptTimeout = TimeSpan.FromSeconds(2);
        await using var app = ReliabilityApp.Create(_azurite, _sandbox,
            configure: settings => settings["Twine:Resilience:AttemptTimeout:Timeout"] = attemptTimeout.ToString("c", CultureInfo.InvariantCulture));
        var run = await FaultRun.IngestAsync(app, _sandbox);
        _sandbox.Faults.Add("POST", MetricsRoute, FaultKind.Delay, count: 3, delay: TimeSpan.FromSeconds(6));

        var host = new AtLeastOnceQueueHostBuilder(app) { BatchSize = 1 }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(host.Failures >= 1);
        await run.AssertEveryMetricInTwineOnceAsync(host, "timeout",
            $"3 × sandbox `Delay` 6 s on POST /patient_health_metric; client attempt timeout {attemptTimeout.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Token_expiry_during_a_run()
    {
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var run = await FaultRun.IngestAsync(app, _sandbox);

        var host = new AtLeastOnceQueueHostBuilder(app) { BatchSize = 1, BeforeDelivery = _ => { _sandbox.ExpireAllTokens(); return Task.CompletedTask; } }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(_sandbox.RequestCount("POST", "/oauth/token") >= run.Messages, "a new token after each expiry");
        await run.AssertEveryMetricInTwineOnceAsync(host, "token expiry during a run", "`sandbox.ExpireAllTokens()` before every delivery (messages one at a time)");
    }

    [Fact]
    public async Task InvalidCredentials_after_a_rotation_the_vault_knows_about()
    {
        var provider = new RotatingCredentials(new TwineCredentials(SandboxOptions.DefaultClientId, SandboxOptions.DefaultClientSecret));
        await using var app = ReliabilityApp.Create(_azurite, _sandbox, s => s.AddSingleton<ITwineCredentialsProvider>(provider));
        var run = await FaultRun.IngestAsync(app, _sandbox);

        var host = new AtLeastOnceQueueHostBuilder(app)
        {
            BatchSize = 1,
            BeforeDelivery = delivery =>
            {
                if (delivery == 3)
                {
                    _sandbox.RotateCredentials("rotated-id", "rotated-secret");
                    _sandbox.ExpireAllTokens(); // the cached token dies too, so the next call must authenticate again
                    provider.Next = new TwineCredentials("rotated-id", "rotated-secret");
                }

                return Task.CompletedTask;
            },
        }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(provider.Refreshes >= 1);
        await run.AssertEveryMetricInTwineOnceAsync(host, "`InvalidCredentials` after a rotation, new secret in the vault",
            "`RotateCredentials` + `ExpireAllTokens` before the 3rd delivery; the credentials provider returns the new secret on refresh");
    }

    [Fact]
    public async Task InvalidCredentials_after_a_rotation_nobody_put_in_the_vault_is_a_recorded_permanent_failure()
    {
        var provider = new RotatingCredentials(new TwineCredentials(SandboxOptions.DefaultClientId, SandboxOptions.DefaultClientSecret));
        await using var app = ReliabilityApp.Create(_azurite, _sandbox, s => s.AddSingleton<ITwineCredentialsProvider>(provider));
        var run = await FaultRun.IngestAsync(app, _sandbox);

        var host = new AtLeastOnceQueueHostBuilder(app)
        {
            BatchSize = 1,
            BeforeDelivery = delivery =>
            {
                if (delivery == 3)
                {
                    _sandbox.RotateCredentials("rotated-id", "rotated-secret");
                    _sandbox.ExpireAllTokens();
                }

                return Task.CompletedTask;
            },
        }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        var records = await run.RecordsAsync();
        Assert.Contains(records, r => r.Status == IngestionStatus.Failed);
        Assert.All(records.Where(r => r.Status != IngestionStatus.Succeeded), r => Assert.Contains(r.Errors, e => e.Code == "InvalidCredentials"));
        Assert.Equal(0, host.Poisoned); // recorded, not retried into the poison queue
        await run.AssertNothingLostAsync(host, "`InvalidCredentials` after a rotation, vault not updated",
            "`RotateCredentials` + `ExpireAllTokens` before the 3rd delivery; the provider still returns the old secret",
            "**recorded permanent failure** (401 InvalidCredentials in the ingestion's errors; not retried)");
    }

    [Fact]
    public async Task Key_vault_errors_then_recovery()
    {
        using var vault = VaultWithTheSandboxCredentials();
        vault.FailWith = HttpStatusCode.ServiceUnavailable;
        await using var app = AppReadingCredentialsFrom(vault);
        var run = await FaultRun.IngestAsync(app, _sandbox);

        var host = new AtLeastOnceQueueHostBuilder(app)
        {
            BatchSize = 1,
            BeforeDelivery = delivery =>
            {
                vault.FailWith = delivery switch { <= 2 => HttpStatusCode.ServiceUnavailable, 3 => null, _ => vault.FailWith };
                return Task.CompletedTask;
            },
        }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, host.FailureKinds.Count(k => k.StartsWith("rescheduled: Twine credentials unavailable", StringComparison.Ordinal)));
        await run.AssertEveryMetricInTwineOnceAsync(host, "Key Vault errors",
            "`StandInKeyVault` answers 503 to the first 2 deliveries, then recovers");
    }

    [Fact]
    public async Task Key_vault_unreachable_then_recovery()
    {
        using var vault = VaultWithTheSandboxCredentials();
        vault.Unreachable = true;
        await using var app = AppReadingCredentialsFrom(vault);
        var run = await FaultRun.IngestAsync(app, _sandbox);

        var host = new AtLeastOnceQueueHostBuilder(app)
        {
            BatchSize = 1,
            BeforeDelivery = delivery =>
            {
                vault.Unreachable = delivery <= 2;
                return Task.CompletedTask;
            },
        }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, host.FailureKinds.Count(k => k.StartsWith("rescheduled: Twine credentials unavailable", StringComparison.Ordinal)));
        await run.AssertEveryMetricInTwineOnceAsync(host, "Key Vault unreachable",
            "`StandInKeyVault` refuses connections for the first 2 deliveries, then recovers");
    }

    [Fact]
    public async Task Duplicate_deliveries()
    {
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var run = await FaultRun.IngestAsync(app, _sandbox);

        var host = new AtLeastOnceQueueHostBuilder(app) { DeliverEveryMessageTwice = true }.Build();
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(run.Messages, host.DuplicateDeliveries);
        Assert.True(host.Deliveries >= 2 * run.Messages);
        await run.AssertEveryMetricInTwineOnceAsync(host, "duplicate deliveries", "every message delivered twice (the first delivery's delete is lost)");
    }

    [Fact]
    public async Task Duplicate_deliveries_running_at_the_same_time()
    {
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var run = await FaultRun.IngestAsync(app, _sandbox);
        var processor = app.MetricsProcessor();
        var deliveries = 0;

        // The host's lease expired while the first instance still worked: two instances run the same message at once.
        var host = new AtLeastOnceQueueHost(app.ConnectionString, app.Names.MetricsQueue,
            async (text, dequeueCount, ct) =>
            {
                Interlocked.Add(ref deliveries, 2);
                await Task.WhenAll(processor.ProcessAsync(text, dequeueCount, ct), processor.ProcessAsync(text, dequeueCount + 1, ct));
            },
            (text, id, ct) => app.PoisonHandler().HandleMetricsAsync(text, id, ct))
        {
            Retries = app.Retries(),
            Clock = app.Time,
            RescheduleErrors = () => app.RescheduleErrors(app.Names.MetricsQueue),
        };
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(deliveries >= 2 * run.Messages);
        await run.AssertEveryMetricInTwineOnceAsync(host, "duplicate deliveries at the same time",
            "every message processed by two concurrent calls (an instance stalled past its lease)");
    }

    [Fact]
    public async Task Twine_failing_for_longer_than_the_give_up_age()
    {
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);
        var run = await FaultRun.IngestAsync(app, _sandbox, ingestions: 1);
        var started = app.Time.GetUtcNow();
        // The first bulk create goes through; every later one fails: one message is rescheduled until Processing:RetryFor (24 h).
        _sandbox.Faults.Add("POST", MetricsRoute, FaultKind.ServiceUnavailable, count: 100_000, after: 1);

        var host = app.MetricsHost(batchSize: 1);
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);
        _sandbox.Faults.Clear();

        Assert.Equal(0, host.Poisoned);
        Assert.InRange(app.Time.GetUtcNow() - started, TimeSpan.FromHours(24), TimeSpan.FromHours(25));
        var record = Assert.Single(await run.RecordsAsync());
        Assert.Equal(IngestionStatus.PartlySucceeded, record.Status);
        var error = Assert.Single(record.Errors);
        Assert.Equal(MessageRetries.GivenUpCode, error.Code);
        Assert.Matches("^Message [12] of 2 was not delivered: it kept failing for 24 h \\(\\d+ attempts; last error: [^)]+\\) and Processing:RetryFor is 24 h\\.$", error.Detail);
        await run.AssertNothingLostAsync(host, "Twine failing for longer than the give-up age",
            "503 on every POST /patient_health_metric after the first; the other message is rescheduled (30 s … hourly) until Processing:RetryFor (24 h), then recorded",
            $"**partlySucceeded** (`RetriesExhausted` after {host.Rescheduled} reschedules and {_sandbox.RequestCount("POST", MetricsRoute) - 1} failed creates in 24 simulated hours); the other message's metrics are in Twine");
    }

    [Fact]
    public async Task Poison_messages()
    {
        // An exception no rule classifies (a credentials provider with a bug): thrown, retried by the host, then poisoned.
        await using var app = ReliabilityApp.Create(_azurite, _sandbox,
            services => services.AddSingleton<ITwineCredentialsProvider>(new BrokenCredentials()));
        var run = await FaultRun.IngestAsync(app, _sandbox, ingestions: 1);

        var host = app.MetricsHost(batchSize: 1);
        await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((2, 2), (host.Poisoned, host.PoisonHandled));
        Assert.Equal(10, host.Thrown); // maxDequeueCount deliveries of each message
        var record = Assert.Single(await run.RecordsAsync());
        Assert.Equal(IngestionStatus.Failed, record.Status);
        Assert.Equal(["Message 1 of 2 failed 5 times with InvalidOperationException and is moved to the poison queue.",
                "Message 2 of 2 failed 5 times with InvalidOperationException and is moved to the poison queue."],
            record.Errors.Select(e => e.Detail).Order());
        Assert.All(record.Errors, e => Assert.Equal(MessageRetries.UnclassifiedCode, e.Code));
        await run.AssertNothingLostAsync(host, "poison message",
            "an unclassified exception (`InvalidOperationException` from the credentials provider) on every delivery; each message fails 5 deliveries → `<queue>-poison` → poison handler",
            "**failed** (each message's error names the exception type: \"Message n of 2 failed 5 times with InvalidOperationException and is moved to the poison queue.\")");
    }

    private sealed class BrokenCredentials : ITwineCredentialsProvider
    {
        public ValueTask<TwineCredentials> GetCredentialsAsync(bool refresh, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A bug in a credentials provider.");
    }

    /// <summary>A stand-in vault holding the sandbox's client id and secret under the app's default secret names.</summary>
    private StandInKeyVault VaultWithTheSandboxCredentials()
    {
        var names = new TwineSecretsOptions();
        var vault = new StandInKeyVault();
        vault.Set(names.ClientIdSecretName, _sandbox.ClientId);
        vault.Set(names.ClientSecretSecretName, _sandbox.ClientSecret);
        return vault;
    }

    /// <summary>The app with its Twine credentials read from <paramref name="vault"/> through the real SecretClient.</summary>
    private TestApp AppReadingCredentialsFrom(StandInKeyVault vault) =>
        ReliabilityApp.Create(_azurite, _sandbox, s => s.AddSingleton<ITwineCredentialsProvider>(sp =>
            vault.CreateTwineCredentialsProvider(sp.GetRequiredService<TimeProvider>())));

    private sealed class AtLeastOnceQueueHostBuilder(TestApp app)
    {
        public int BatchSize { get; init; } = 16;
        public Func<int, Task>? BeforeDelivery { get; init; }
        public bool DeliverEveryMessageTwice { get; init; }

        public AtLeastOnceQueueHost Build() => app.MetricsHost(batchSize: BatchSize, beforeDelivery: BeforeDelivery, deliverEveryMessageTwice: DeliverEveryMessageTwice);
    }
}

/// <summary>A credentials provider whose store can be rotated: returns <see cref="Next"/> once asked to refresh.</summary>
internal sealed class RotatingCredentials(TwineCredentials current) : ITwineCredentialsProvider
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
