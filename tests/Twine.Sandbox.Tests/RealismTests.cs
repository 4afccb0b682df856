using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Twine.Sandbox.Tests;

/// <summary>
/// Latency and the rate limit (docs/SANDBOX.md, "A realistic Twine"), on a fake clock: nothing here sleeps or depends
/// on how fast the machine is. A request waiting out its latency is pending until the test advances the clock.
/// </summary>
public sealed class RealismTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero));
    private SandboxServer? _server;
    private HttpClient? _http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SandboxServer Server => _server!;

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task Start(Action<SandboxOptions> configure)
    {
        var options = new SandboxOptions { Port = 0, TimeProvider = _time, TokenLifetime = TimeSpan.FromDays(1) };
        configure(options);
        _server = await SandboxServer.StartAsync(options, Ct);
        _http = new HttpClient { BaseAddress = _server.BaseAddress };
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? token, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = SandboxHost.JsonApi(body);
        }

        return _http!.SendAsync(request, Ct);
    }

    private Task<HttpResponseMessage> TokenRequest(string clientId = SandboxOptions.DefaultClientId, string secret = SandboxOptions.DefaultClientSecret) =>
        Send(HttpMethod.Post, "oauth/token", null, new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "token",
                ["attributes"] = new JsonObject { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret },
            },
        }.ToJsonString());

    private static async Task<string> AccessToken(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (string)(await SandboxHost.Read(response))["data"]!["attributes"]!["access_token"]!;
        }
    }

    /// <summary>Lets a request through its latency: waits until it is waiting, then moves the clock on.</summary>
    private async Task<HttpResponseMessage> Through(Task<HttpResponseMessage> request, TimeSpan latency)
    {
        await Server.WaitForDelayedRequestsAsync(1, Ct);
        _time.Advance(latency);
        return await request;
    }

    private static string Metrics(int count, int offset = 0) => new JsonObject
    {
        ["data"] = new JsonArray(Enumerable.Range(offset, count).Select(i => (JsonNode)new JsonObject
        {
            ["type"] = "patient_health_metric",
            ["attributes"] = new JsonObject { ["type"] = "weight", ["occurred_at"] = $"2025-01-01T00:{i / 60:00}:{i % 60:00}Z", ["value"] = 70 + i, ["unit"] = "kg" },
            ["relationships"] = new JsonObject { ["patient"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = SandboxHost.PatientId } } },
        }).ToArray()),
    }.ToJsonString();

    [Fact]
    public void By_default_there_is_no_latency_and_no_rate_limit()
    {
        var options = new SandboxOptions();
        Assert.Equal(TimeSpan.Zero, options.Latency);
        Assert.Equal(TimeSpan.Zero, options.LatencyPerItem);
        Assert.Equal(TimeSpan.Zero, options.LatencyJitter);
        Assert.Equal(0, options.RateLimit);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RateLimitWindow);
    }

    [Fact]
    public async Task A_request_is_pending_until_the_clock_has_moved_on_by_the_latency()
    {
        var latency = TimeSpan.FromMilliseconds(200);
        await Start(o => o.Latency = latency);
        var token = await AccessToken(await Through(TokenRequest(), latency));

        var request = Send(HttpMethod.Get, $"organization/{SandboxOptions.OrganizationId}", token);
        await Server.WaitForDelayedRequestsAsync(1, Ct);
        _time.Advance(latency - TimeSpan.FromMilliseconds(1));
        Assert.False(request.IsCompleted);
        Assert.Equal(1, Server.DelayedRequests);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        using var response = await request;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, Server.DelayedRequests);
    }

    [Fact]
    public async Task A_bulk_create_waits_the_per_item_latency_once_more_per_resource()
    {
        var latency = TimeSpan.FromMilliseconds(100);
        var perItem = TimeSpan.FromMilliseconds(10);
        await Start(o => (o.Latency, o.LatencyPerItem) = (latency, perItem));
        var token = await AccessToken(await Through(TokenRequest(), latency + perItem)); // the token request's data is one resource

        var bulk = Send(HttpMethod.Post, "patient_health_metric", token, Metrics(5));
        await Server.WaitForDelayedRequestsAsync(1, Ct);
        _time.Advance(latency + (perItem * 5) - TimeSpan.FromMilliseconds(1));
        Assert.False(bulk.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        using var response = await bulk;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, (await SandboxHost.Read(response))["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task Jitter_adds_up_to_its_amount_to_the_latency()
    {
        var latency = TimeSpan.FromMilliseconds(100);
        var jitter = TimeSpan.FromMilliseconds(50);
        await Start(o => (o.Latency, o.LatencyJitter) = (latency, jitter));
        var token = await AccessToken(await Through(TokenRequest(), latency + jitter));

        for (var i = 0; i < 5; i++)
        {
            var request = Send(HttpMethod.Get, $"organization/{SandboxOptions.OrganizationId}", token);
            await Server.WaitForDelayedRequestsAsync(1, Ct);
            _time.Advance(latency - TimeSpan.FromMilliseconds(1));
            Assert.False(request.IsCompleted);
            _time.Advance(jitter + TimeSpan.FromMilliseconds(1));
            using var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Delayed_requests_wait_side_by_side_not_one_after_another()
    {
        var latency = TimeSpan.FromSeconds(1);
        await Start(o => o.Latency = latency);
        var token = await AccessToken(await Through(TokenRequest(), latency));

        // 20 creates all inside the sandbox at once, then one second of (fake) time answers every one of them.
        var creates = Enumerable.Range(0, 20).Select(i => Send(HttpMethod.Post, "patient_health_metric", token, Metrics(1, offset: i))).ToList();
        await Server.WaitForDelayedRequestsAsync(20, Ct);
        Assert.DoesNotContain(creates, c => c.IsCompleted);
        _time.Advance(latency);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var create in creates)
        {
            using var response = await create;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(ids.Add((string)(await SandboxHost.Read(response))["data"]![0]!["id"]!));
        }
    }

    [Fact]
    public async Task Over_the_rate_limit_requests_are_429_with_retry_after_until_the_window_ends()
    {
        await Start(o => (o.RateLimit, o.RateLimitWindow) = (3, TimeSpan.FromSeconds(10)));
        var token = await AccessToken(await TokenRequest()); // 1 (token requests count)
        var path = $"organization/{SandboxOptions.OrganizationId}";
        for (var i = 2; i <= 3; i++)
        {
            using var ok = await Send(HttpMethod.Get, path, token);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var limited = await Reply(await Send(HttpMethod.Get, path, token));
        limited.AssertError(HttpStatusCode.TooManyRequests, "TooManyRequests");
        Assert.Equal(TimeSpan.FromSeconds(10), limited.Headers.RetryAfter?.Delta);

        _time.Advance(TimeSpan.FromSeconds(4));
        var still = await Reply(await Send(HttpMethod.Get, path, token));
        still.AssertError(HttpStatusCode.TooManyRequests, "TooManyRequests");
        Assert.Equal(TimeSpan.FromSeconds(6), still.Headers.RetryAfter?.Delta);

        // A refused request does not use the window up; a token request is limited like any other.
        (await Reply(await TokenRequest())).AssertError(HttpStatusCode.TooManyRequests, "TooManyRequests");

        _time.Advance(TimeSpan.FromSeconds(6));
        for (var i = 1; i <= 3; i++)
        {
            using var again = await Send(HttpMethod.Get, path, token);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        (await Reply(await Send(HttpMethod.Get, path, token))).AssertError(HttpStatusCode.TooManyRequests, "TooManyRequests");
    }

    [Fact]
    public async Task The_rate_limits_retry_after_rounds_up_to_whole_seconds()
    {
        await Start(o => (o.RateLimit, o.RateLimitWindow) = (1, TimeSpan.FromMilliseconds(2500)));
        var token = await AccessToken(await TokenRequest());
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var limited = await Reply(await Send(HttpMethod.Get, $"organization/{SandboxOptions.OrganizationId}", token));
        limited.AssertError(HttpStatusCode.TooManyRequests, "TooManyRequests");
        Assert.Equal(TimeSpan.FromSeconds(3), limited.Headers.RetryAfter?.Delta); // 2.4 s left
    }

    [Fact]
    public async Task The_rate_limit_is_counted_per_organization()
    {
        await Start(o => (o.RateLimit, o.RateLimitWindow) = (2, TimeSpan.FromMinutes(1)));
        var first = await AccessToken(await TokenRequest());
        using (var ok = await Send(HttpMethod.Get, $"organization/{SandboxOptions.OrganizationId}", first))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        (await Reply(await Send(HttpMethod.Get, $"organization/{SandboxOptions.OrganizationId}", first))).AssertError(HttpStatusCode.TooManyRequests, "TooManyRequests");

        var second = await AccessToken(await TokenRequest(SandboxOptions.DefaultSecondClientId, SandboxOptions.DefaultSecondClientSecret));
        using var secondOk = await Send(HttpMethod.Get, $"organization/{SandboxOptions.SecondOrganizationId}", second);
        Assert.Equal(HttpStatusCode.OK, secondOk.StatusCode);
    }

    [Fact]
    public async Task A_reset_clears_the_rate_limit_windows()
    {
        await Start(o => (o.RateLimit, o.RateLimitWindow) = (1, TimeSpan.FromMinutes(1)));
        _ = await AccessToken(await TokenRequest());
        (await Reply(await TokenRequest())).AssertError(HttpStatusCode.TooManyRequests, "TooManyRequests");
        Server.Reset();
        _ = await AccessToken(await TokenRequest());
    }

    [Fact]
    public async Task Options_are_read_from_configuration_and_a_bad_value_throws()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:Latency"] = "200",
            ["Sandbox:LatencyPerItem"] = "00:00:00.010",
            ["Sandbox:LatencyJitter"] = "25",
            ["Sandbox:RateLimit"] = "100",
            ["Sandbox:RateLimitWindow"] = "00:01:00",
            ["Sandbox:TokenLifetime"] = "00:05:00",
        }).Build().GetSection("Sandbox");
        var options = new SandboxOptions().Configure(section);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.LatencyPerItem);
        Assert.Equal(TimeSpan.FromMilliseconds(25), options.LatencyJitter);
        Assert.Equal(100, options.RateLimit);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RateLimitWindow);
        Assert.Equal(TimeSpan.FromMinutes(5), options.TokenLifetime);
        Assert.Equal(5080, options.Port); // left alone when absent

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Latency"] = "soon" }).Build();
        Assert.Throws<FormatException>(() => new SandboxOptions().Configure(bad));
    }

    [Theory]
    [InlineData("Latency")]
    [InlineData("LatencyPerItem")]
    [InlineData("LatencyJitter")]
    [InlineData("RateLimit")]
    [InlineData("RateLimitWindow")]
    public async Task An_out_of_range_option_stops_the_sandbox_from_starting(string name)
    {
        var options = new SandboxOptions { Port = 0, RateLimit = 1 };
        switch (name)
        {
            case "Latency": options.Latency = TimeSpan.FromMilliseconds(-1); break;
            case "LatencyPerItem": options.LatencyPerItem = TimeSpan.FromMilliseconds(-1); break;
            case "LatencyJitter": options.LatencyJitter = TimeSpan.FromMilliseconds(-1); break;
            case "RateLimit": options.RateLimit = -1; break;
            case "RateLimitWindow": options.RateLimitWindow = TimeSpan.Zero; break;
        }

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SandboxServer.StartAsync(options, Ct));
    }

    private static async Task<Reply> Reply(HttpResponseMessage response)
    {
        using (response)
        {
            return new Reply(response.StatusCode, await SandboxHost.Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        }
    }
}
