using System.Collections.Concurrent;
using System.Text.Json;
using Twine.Sandbox.Auth;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Hosting;

/// <summary>
/// A fixed-window rate limit per organization: at most <see cref="SandboxOptions.RateLimit"/> requests in a window of
/// <see cref="SandboxOptions.RateLimitWindow"/> that opens with the first request after the previous one closed; the
/// next request in the window is 429 with Retry-After = the rest of the window (whole seconds, rounded up). Refused
/// requests do not use up the window. Measured with the injected TimeProvider. Why a fixed window: docs/SANDBOX.md.
/// </summary>
internal sealed class RateLimiter(SandboxOptions options, TimeProvider time)
{
    private sealed class Window
    {
        public Lock Gate { get; } = new();

        public DateTimeOffset Start { get; set; } = DateTimeOffset.MinValue;

        public int Used { get; set; }
    }

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public bool Enabled => options.RateLimit > 0;

    /// <summary>Null when the request may go on; else how long until the window closes.</summary>
    public TimeSpan? Acquire(string key)
    {
        if (!Enabled)
        {
            return null;
        }

        var window = _windows.GetOrAdd(key, _ => new Window());
        var now = time.GetUtcNow();
        lock (window.Gate)
        {
            if (window.Start == DateTimeOffset.MinValue || now >= window.Start + options.RateLimitWindow)
            {
                window.Start = now;
                window.Used = 0;
            }

            if (window.Used < options.RateLimit)
            {
                window.Used++;
                return null;
            }

            return window.Start + options.RateLimitWindow - now;
        }
    }

    public void Reset() => _windows.Clear();
}

/// <summary>
/// Latency: <see cref="SandboxOptions.Latency"/> + <see cref="SandboxOptions.LatencyPerItem"/> per resource in the
/// request body's data (an array's length, 1 for one resource object) + a uniform random share of
/// <see cref="SandboxOptions.LatencyJitter"/>, waited with Task.Delay on the injected TimeProvider before the request
/// is handled. Counts the requests waiting, so tests can advance a fake clock once they all are.
/// </summary>
internal sealed class LatencyModel(SandboxOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _waiting;

    public bool Enabled => options.Latency > TimeSpan.Zero || options.LatencyPerItem > TimeSpan.Zero || options.LatencyJitter > TimeSpan.Zero;

    public bool CountsItems => options.LatencyPerItem > TimeSpan.Zero;

    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting;
            }
        }
    }

    public TimeSpan DelayFor(int items) =>
        options.Latency + (options.LatencyPerItem * items) + (options.LatencyJitter * Random.Shared.NextDouble());

    public async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        // Task.Delay registers its timer before it returns: once counted, advancing a fake clock reaches it.
        var delayed = Task.Delay(delay, time, cancellationToken);
        Enter();
        try
        {
            await delayed;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> requests are waiting at the same time.</summary>
    public Task WhenWaitingAsync(int count, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_waiting >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            _waiting++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _waiting)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            _waiting--;
        }
    }
}

/// <summary>The middleware that applies the rate limit, then the latency (after authentication, before the endpoint).</summary>
internal static class RealismMiddleware
{
    public static async Task Apply(HttpContext context, RequestDelegate next, SandboxState state)
    {
        var limiter = state.RateLimiter;
        var latency = state.Latency;
        if (!context.Request.Path.StartsWithSegments("/pub") || (!limiter.Enabled && !latency.Enabled))
        {
            await next(context);
            return;
        }

        var body = await BodyAsync(context, (limiter.Enabled && IsTokenCreate(context)) || latency.CountsItems);
        if (limiter.Enabled && OrganizationOf(context, state, body) is { } organization && limiter.Acquire(organization) is { } retryAfter)
        {
            throw new ApiException(new ApiError(429, "TooManyRequests", "Too many requests",
                $"Rate limit: {state.Options.RateLimit} requests per {state.Options.RateLimitWindow} for organization {organization}; "
                + $"the window closes in {retryAfter.TotalMilliseconds:0} ms"))
            {
                RetryAfter = retryAfter,
            };
        }

        if (latency.Enabled)
        {
            await latency.WaitAsync(latency.DelayFor(Items(body)), context.RequestAborted);
        }

        await next(context);
    }

    private static bool IsTokenCreate(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method)
        && context.Request.Path.Value?.TrimEnd('/').Equals("/pub/oauth/token", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The token's organization; for a token request, the organization of the client_id it names (else none).</summary>
    private static string? OrganizationOf(HttpContext context, SandboxState state, JsonElement? body)
    {
        if (context.Items[Pipeline.TokenKey] is IssuedToken token)
        {
            return token.OrganizationId;
        }

        if (body is not { ValueKind: JsonValueKind.Object } root)
        {
            return null;
        }

        var fields = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            && data.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object
                ? attributes
                : root;
        return fields.TryGetProperty("client_id", out var id) && id.ValueKind == JsonValueKind.String
            && state.Tokens.FindClient(id.GetString()) is { } client
                ? state.Tokens.Client(client).OrganizationId
                : null;
    }

    private static int Items(JsonElement? body) =>
        body is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("data", out var data)
            ? data.ValueKind switch
            {
                JsonValueKind.Array => data.GetArrayLength(),
                JsonValueKind.Object => 1,
                _ => 0,
            }
            : 0;

    /// <summary>The body as JSON, read without consuming it (the endpoint reads it again); null if absent or not JSON.</summary>
    private static async Task<JsonElement?> BodyAsync(HttpContext context, bool wanted)
    {
        var request = context.Request;
        if (!wanted || !(HttpMethods.IsPost(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsPut(request.Method)))
        {
            return null;
        }

        request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            request.Body.Position = 0;
        }
    }
}
