using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client;
using Twine.Sandbox;

namespace Twine.Benchmarks;

/// <summary>
/// Counts the token requests the client makes for 1,000 API calls within one token lifetime, against the
/// sandbox in-process on a free port: sequentially, then 1,000 at once from a cold start.
/// </summary>
public static class TokenRequestsHarness
{
    private const int Calls = 1000;
    private const string PatientId = "5a0c8e27a9d454cc150997f7";

    public static async Task<int> RunAsync()
    {
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = 0 });

        Console.WriteLine("| scenario | API calls | token requests | wall time |");
        Console.WriteLine("|---|---|---|---|");
        await MeasureAsync(sandbox, "sequential", async client =>
        {
            for (var i = 0; i < Calls; i++)
            {
                await client.FetchPatientAsync(PatientId);
            }
        });

        sandbox.Reset();
        await MeasureAsync(sandbox, "1,000 concurrent from a cold start", client =>
            Task.WhenAll(Enumerable.Range(0, Calls).Select(_ => client.FetchPatientAsync(PatientId))));
        return 0;
    }

    private static async Task MeasureAsync(SandboxServer sandbox, string scenario, Func<ITwineClient, Task> calls)
    {
        var services = new ServiceCollection();
        services.AddTwineClient(options =>
        {
            options.BaseAddress = sandbox.BaseAddress;
            options.ClientId = sandbox.ClientId;
            options.ClientSecret = sandbox.ClientSecret;
        }, resilience =>
        {
            // 1,000 calls at once queue on the loopback connection pool; the default 10 s would cut them short.
            resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(60);
            resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(120);
            resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(120); // at least twice the attempt timeout

            // The standard handler admits 1,000 concurrent calls and queues none: leave room for the token request.
            resilience.RateLimiter.DefaultRateLimiterOptions.PermitLimit = 2_000;
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<ITwineClient>();

        var tokensBefore = sandbox.RequestCount("POST", "/oauth/token");
        var patientCallsBefore = sandbox.RequestCount("GET", "/patient/{id}");
        var watch = Stopwatch.StartNew();
        await calls(client);
        watch.Stop();

        var tokenRequests = sandbox.RequestCount("POST", "/oauth/token") - tokensBefore;
        var apiCalls = sandbox.RequestCount("GET", "/patient/{id}") - patientCallsBefore;
        Console.WriteLine($"| {scenario} | {apiCalls} | {tokenRequests} | {watch.Elapsed.TotalMilliseconds:F0} ms |");
    }
}
