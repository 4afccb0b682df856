using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client.Auth;
using Twine.Client.Errors;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

/// <summary>Token caching, single flight, renewal, and credential rotation.</summary>
public sealed class AuthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_token_serves_many_calls()
    {
        await using var host = await TwineTestHost.StartAsync();

        for (var i = 0; i < 5; i++)
        {
            await host.Client.FetchPatientAsync(Seed.Patient, Ct);
        }

        await host.Client.FetchCoachAsync(Seed.Coach, Ct);

        Assert.Equal(1, host.TokenRequests);
        Assert.Equal(5, host.Sandbox.RequestCount("GET", "/patient/{id}"));
    }

    [Fact]
    public async Task Concurrent_first_calls_request_one_token()
    {
        await using var host = await TwineTestHost.StartAsync();

        var calls = Enumerable.Range(0, 20).Select(_ => host.Client.FetchPatientAsync(Seed.Patient, Ct));
        var results = await Task.WhenAll(calls).WaitAsync(TwineTestHost.Guard, Ct);

        Assert.All(results, r => Assert.Equal(Seed.Patient, r.Data?.Id));
        Assert.Equal(1, host.TokenRequests);
    }

    [Fact]
    public async Task Token_is_renewed_before_it_expires()
    {
        var lifetime = TimeSpan.FromMinutes(10);
        var skew = TimeSpan.FromMinutes(1);
        await using var host = await TwineTestHost.StartAsync(o => o.TokenRenewalSkew = skew, sandbox: s => s.TokenLifetime = lifetime);

        await host.Client.FetchPatientAsync(Seed.Patient, Ct);
        host.Time.Advance(lifetime - skew - TimeSpan.FromSeconds(5));
        await host.Client.FetchPatientAsync(Seed.Patient, Ct);
        Assert.Equal(1, host.TokenRequests);

        host.Time.Advance(TimeSpan.FromSeconds(10));
        await host.Client.FetchPatientAsync(Seed.Patient, Ct);

        Assert.Equal(2, host.TokenRequests);

        // Renewed early: no call was ever refused with 401.
        Assert.Equal(3, host.Sandbox.RequestCount("GET", "/patient/{id}"));
    }

    [Fact]
    public async Task A_401_renews_the_token_once_and_retries_the_call()
    {
        await using var host = await TwineTestHost.StartAsync();
        await host.Client.FetchPatientAsync(Seed.Patient, Ct);

        host.Sandbox.ExpireAllTokens();
        var patient = await host.Client.FetchPatientAsync(Seed.Patient, Ct);

        Assert.Equal(Seed.Patient, patient.Data?.Id);
        Assert.Equal(2, host.TokenRequests);
        Assert.Equal(3, host.Sandbox.RequestCount("GET", "/patient/{id}"));
    }

    [Fact]
    public async Task Concurrent_401s_share_one_renewal()
    {
        await using var host = await TwineTestHost.StartAsync();
        await host.Client.FetchPatientAsync(Seed.Patient, Ct);
        host.Sandbox.ExpireAllTokens();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => host.Client.FetchCoachAsync(Seed.Coach, Ct))).WaitAsync(TwineTestHost.Guard, Ct);

        Assert.All(results, r => Assert.Equal(Seed.Coach, r.Data?.Id));
        Assert.Equal(2, host.TokenRequests);
    }

    [Fact]
    public async Task Rotated_secret_is_read_again_after_InvalidCredentials()
    {
        TestCredentialsProvider credentials = null!;
        await using var host = await TwineTestHost.StartAsync(services: s => s.AddSingleton<ITwineCredentialsProvider>(sp =>
            credentials = new TestCredentialsProvider(
                new TwineCredentials(Twine.Sandbox.SandboxOptions.DefaultClientId, Twine.Sandbox.SandboxOptions.DefaultClientSecret),
                onRefresh: new TwineCredentials("rotated-id", "rotated-secret"))));
        host.Sandbox.RotateCredentials("rotated-id", "rotated-secret");

        var patient = await host.Client.FetchPatientAsync(Seed.Patient, Ct);

        Assert.Equal(Seed.Patient, patient.Data?.Id);
        Assert.Equal(1, credentials.Refreshes);
        Assert.Equal(2, host.TokenRequests);
    }

    [Fact]
    public async Task Credentials_still_rejected_after_refresh_fail_permanently()
    {
        TestCredentialsProvider credentials = null!;
        await using var host = await TwineTestHost.StartAsync(services: s => s.AddSingleton<ITwineCredentialsProvider>(sp =>
            credentials = new TestCredentialsProvider(new TwineCredentials("old-id", "old-secret"), onRefresh: null)));

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchPatientAsync(Seed.Patient, Ct));

        Assert.Equal(TwineErrorCodes.InvalidCredentials, ex.ErrorCode);
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Equal("createToken", ex.Operation);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.DoesNotContain("old-secret", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, credentials.Refreshes);
        Assert.Equal(2, host.TokenRequests);
        Assert.Equal(0, host.Sandbox.RequestCount("GET", "/patient/{id}"));
    }

    [Fact]
    public async Task A_second_401_in_a_row_is_not_retried_again()
    {
        // Every request on the route is answered 401: the client renews once, then gives up.
        await using var host = await TwineTestHost.StartAsync(http: b => b.AddHttpMessageHandler(() => new TamperingHandler(request =>
        {
            if (request.RequestUri!.AbsolutePath.Contains("/patient/", StringComparison.Ordinal))
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-token");
            }

            return Task.CompletedTask;
        })));

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchPatientAsync(Seed.Patient, Ct));

        Assert.Equal(TwineErrorCodes.Unauthorized, ex.ErrorCode);
        Assert.Equal("fetchPatient", ex.Operation);
        Assert.Equal(2, host.Sandbox.RequestCount("GET", "/patient/{id}"));
        Assert.Equal(2, host.TokenRequests);
    }
}
