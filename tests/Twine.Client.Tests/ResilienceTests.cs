using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client.Errors;
using Twine.Client.Tests.Infrastructure;
using Twine.Sandbox;

namespace Twine.Client.Tests;

/// <summary>
/// Retries, timeouts and the circuit breaker from Microsoft.Extensions.Http.Resilience, on the fake clock:
/// a retry happens only when the test advances time past its delay.
/// </summary>
public sealed class ResilienceTests
{
    private const string PatientRoute = "/patient/{id}";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int Gets(TwineTestHost host) => host.Sandbox.RequestCount("GET", PatientRoute);

    private static async Task WarmUpAsync(TwineTestHost host)
    {
        // Token fetched and connection open, so only the call under test remains.
        await host.Client.FetchCoachAsync(Seed.Coach, Ct);
    }

    [Fact]
    public async Task A_429_is_retried_only_after_Retry_After_has_passed()
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, FaultKind.TooManyRequests, count: 1, retryAfter: TimeSpan.FromSeconds(30));

        var call = host.Client.FetchPatientAsync(Seed.Patient, Ct);

        // The retry strategy schedules its delay on the fake clock: wait until the 30 s one from Retry-After exists.
        Assert.True(SpinWait.SpinUntil(() => host.Time.DueTimes.Contains(TimeSpan.FromSeconds(30)) || call.IsCompleted, TwineTestHost.Guard), "no 30 s retry delay was scheduled");
        Assert.False(call.IsCompleted);
        Assert.Equal(1, Gets(host));

        // Fake timers fire inside Advance: at 29 s the retry is still waiting.
        host.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(call.IsCompleted);
        Assert.Equal(1, Gets(host));

        host.Time.Advance(TimeSpan.FromSeconds(1));
        var patient = await call.WaitAsync(TwineTestHost.Guard, Ct);

        Assert.Equal(Seed.Patient, patient.Data?.Id);
        Assert.Equal(2, Gets(host));
    }

    [Theory]
    [InlineData(FaultKind.InternalServerError)]
    [InlineData(FaultKind.ServiceUnavailable)]
    [InlineData(FaultKind.DropConnection)]
    public async Task Transient_failures_of_a_GET_are_retried_until_it_succeeds(FaultKind fault)
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, fault, count: 2, retryAfter: TimeSpan.FromSeconds(1));

        var call = host.Client.FetchPatientAsync(Seed.Patient, Ct);
        var patient = await host.DriveAsync(call, () => Gets(host) < 3);

        Assert.Equal(Seed.Patient, patient.Data?.Id);
        Assert.Equal(3, Gets(host));
    }

    [Fact]
    public async Task A_handler_added_after_AddTwineClient_sees_every_attempt()
    {
        // What the Functions app does to observe attempts: AddHttpMessageHandler on the builder AddTwineClient returns.
        var seen = 0;
        await using var host = await TwineTestHost.StartAsync(http: b => b.AddHttpMessageHandler(() => new TamperingHandler(request =>
        {
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith("/patient/" + Seed.Patient, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref seen);
            }

            return Task.CompletedTask;
        })));
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, FaultKind.ServiceUnavailable, count: 2, retryAfter: TimeSpan.FromSeconds(1));

        await host.DriveAsync(host.Client.FetchPatientAsync(Seed.Patient, Ct), () => Gets(host) < 3);

        Assert.Equal(3, Gets(host));
        Assert.Equal(3, Volatile.Read(ref seen));
    }

    [Fact]
    public async Task With_retries_disabled_a_GET_is_sent_once()
    {
        await using var host = await TwineTestHost.StartAsync(o => o.EnableRetries = false);
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, FaultKind.ServiceUnavailable, count: 1);

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchPatientAsync(Seed.Patient, Ct).WaitAsync(TwineTestHost.NoRetryGuard, Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal(1, Gets(host));
    }

    [Fact]
    public async Task A_slow_attempt_times_out_and_the_retry_succeeds()
    {
        await using var host = await TwineTestHost.StartAsync(resilience: o => o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2));
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, FaultKind.Delay, count: 1, delay: TimeSpan.FromSeconds(2));

        var call = host.Client.FetchPatientAsync(Seed.Patient, Ct);

        // Small steps, and only once the slow attempt has reached the sandbox: the clock times it out, not the load.
        var patient = await host.DriveAsync(call, () => Gets(host) == 1, step: TimeSpan.FromMilliseconds(50));

        Assert.Equal(Seed.Patient, patient.Data?.Id);
        Assert.Equal(2, Gets(host));
    }

    [Fact]
    public async Task Timeouts_on_every_attempt_surface_as_a_transient_TwineApiException()
    {
        await using var host = await TwineTestHost.StartAsync(resilience: o =>
        {
            o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
            o.Retry.MaxRetryAttempts = 1;
        });
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, FaultKind.Delay, count: 2, delay: TimeSpan.FromSeconds(2));

        var call = host.Client.FetchPatientAsync(Seed.Patient, Ct);
        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.DriveAsync(call, () => Gets(host) >= 1, step: TimeSpan.FromMilliseconds(50)));

        Assert.Equal(TwineFailureKind.Timeout, ex.Kind);
        Assert.True(ex.IsTransient);
        Assert.Null(ex.StatusCode);
        Assert.Equal("fetchPatient failed: timed out", ex.Message);
        Assert.Equal(2, Gets(host));
    }

    [Fact]
    public async Task A_409_is_not_retried()
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchCalendarEventsAsync(new(), Ct).WaitAsync(TwineTestHost.NoRetryGuard, Ct));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        Assert.Equal(1, host.Sandbox.RequestCount("GET", "/calendar_event"));
    }

    [Fact]
    public async Task CreateCalendarEvent_is_never_retried_even_on_503()
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("POST", "/calendar_event", FaultKind.ServiceUnavailable, count: 1);

        // Were it retried, the retry would wait on the fake clock and the guard would fail the test.
        var ex = await Assert.ThrowsAsync<TwineApiException>(() =>
            host.Client.CreateCalendarEventAsync(OperationsTests.NewCheckIn(new DateTimeOffset(2025, 2, 3, 0, 0, 0, TimeSpan.Zero)), Ct).WaitAsync(TwineTestHost.NoRetryGuard, Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.True(ex.IsTransient);
        Assert.Equal("createCalendarEvent", ex.Operation);
        Assert.Equal(1, host.Sandbox.RequestCount("POST", "/calendar_event"));
    }

    [Fact]
    public async Task Bulk_metric_create_with_ignore_duplicates_is_retried()
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("POST", "/patient_health_metric", FaultKind.ServiceUnavailable, count: 1, retryAfter: TimeSpan.FromSeconds(3));
        var at = new DateTimeOffset(2025, 1, 2, 7, 0, 0, TimeSpan.Zero);

        var call = host.Client.CreatePatientHealthMetricAsync([OperationsTests.Weight(at, 170), OperationsTests.Weight(at.AddDays(1), 169)], ignoreDuplicates: true, Ct);
        var created = await host.DriveAsync(call, () => host.Sandbox.RequestCount("POST", "/patient_health_metric") < 2);

        Assert.Equal(2, created.Data.Count);
        Assert.Equal(2, host.Sandbox.RequestCount("POST", "/patient_health_metric"));
    }

    [Fact]
    public async Task Patient_create_with_ignore_duplicates_and_an_identifier_is_retried()
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("POST", "/patient", FaultKind.InternalServerError, count: 1);
        var patient = new Twine.Client.Models.PatientResource
        {
            Attributes = new() { FirstName = "Retry", Identifiers = [new() { System = "retry-test", Value = "R-1" }] },
            Relationships = new() { Groups = Twine.Client.Models.Relationship.ToMany(Twine.Client.Models.ResourceIdentifier.Group(Seed.GroupPatientsLead)) },
        };

        var created = await host.DriveAsync(host.Client.CreatePatientAsync(patient, ignoreDuplicates: true, Ct), () => host.Sandbox.RequestCount("POST", "/patient") < 2);

        Assert.NotNull(created.Data?.Id);
        Assert.Equal(2, host.Sandbox.RequestCount("POST", "/patient"));
    }

    [Fact]
    public async Task Metric_create_without_ignore_duplicates_is_not_retried()
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("POST", "/patient_health_metric", FaultKind.ServiceUnavailable, count: 1);

        var ex = await Assert.ThrowsAsync<TwineApiException>(() =>
            host.Client.CreatePatientHealthMetricAsync([OperationsTests.Weight(DateTimeOffset.UnixEpoch, 170)], ignoreDuplicates: false, Ct).WaitAsync(TwineTestHost.NoRetryGuard, Ct));

        Assert.True(ex.IsTransient);
        Assert.Equal(1, host.Sandbox.RequestCount("POST", "/patient_health_metric"));
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_stops_sending()
    {
        await using var host = await TwineTestHost.StartAsync(
            o => o.EnableRetries = false,
            resilience: o =>
            {
                o.CircuitBreaker.MinimumThroughput = 4;
                o.CircuitBreaker.FailureRatio = 0.5;
                o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(30);
            });
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, FaultKind.InternalServerError, count: 10);

        // Two successes so far (token, coach); with a throughput of 4 and ratio 0.5 two 500s open the circuit.
        for (var i = 0; i < 2; i++)
        {
            var failed = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchPatientAsync(Seed.Patient, Ct));
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            var open = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchPatientAsync(Seed.Patient, Ct));
            Assert.Equal(TwineFailureKind.CircuitOpen, open.Kind);
            Assert.True(open.IsTransient);
            Assert.Equal("fetchPatient failed: circuit open", open.Message);
        }

        Assert.Equal(2, Gets(host));
        host.Sandbox.Faults.Clear();

        // After the break the circuit lets a call through again (the faults are used up, so it succeeds).
        host.Time.Advance(TimeSpan.FromSeconds(31));
        var patient = await host.Client.FetchPatientAsync(Seed.Patient, Ct);
        Assert.Equal(Seed.Patient, patient.Data?.Id);
        Assert.Equal(3, Gets(host));
    }

    [Fact]
    public async Task A_callers_cancellation_stays_OperationCanceledException()
    {
        await using var host = await TwineTestHost.StartAsync();
        await WarmUpAsync(host);
        host.Sandbox.Faults.Add("GET", PatientRoute, FaultKind.Delay, count: 1, delay: TimeSpan.FromSeconds(2));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = host.Client.FetchPatientAsync(Seed.Patient, cts.Token);
        Assert.True(SpinWait.SpinUntil(() => Gets(host) >= 1, TwineTestHost.Guard), "the request never reached the sandbox");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TwineTestHost.NoRetryGuard, Ct));
    }
}
