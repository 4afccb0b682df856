using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Twine.Sandbox;

/// <summary>Settings for one sandbox instance (see docs/SANDBOX.md).</summary>
public sealed class SandboxOptions
{
    /// <summary>Default client id accepted by the token endpoint.</summary>
    public const string DefaultClientId = "sandbox-client-id";

    /// <summary>Default client secret accepted by the token endpoint.</summary>
    public const string DefaultClientSecret = "sandbox-client-secret";

    /// <summary>Default client id of the second organization's credentials (the seed's second organization).</summary>
    public const string DefaultSecondClientId = "sandbox-second-client-id";

    /// <summary>Default client secret of the second organization's credentials.</summary>
    public const string DefaultSecondClientSecret = "sandbox-second-client-secret";

    /// <summary>The seed's first organization: the one <see cref="ClientId"/> is scoped to.</summary>
    public const string OrganizationId = "58c4554710123c5c40dbab81";

    /// <summary>The seed's second organization: the one <see cref="SecondClientId"/> is scoped to.</summary>
    public const string SecondOrganizationId = "58c88de7c93eb96357a87033";

    /// <summary>TCP port; 0 picks a free port (read it back from <see cref="SandboxServer.BaseAddress"/>).</summary>
    public int Port { get; set; } = 5080;

    /// <summary>Loopback address to listen on.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Credentials scoped to the seed's first organization.</summary>
    public string ClientId { get; set; } = DefaultClientId;

    public string ClientSecret { get; set; } = DefaultClientSecret;

    /// <summary>Credentials scoped to the seed's second organization (ignored if the seed has only one).</summary>
    public string SecondClientId { get; set; } = DefaultSecondClientId;

    public string SecondClientSecret { get; set; } = DefaultSecondClientSecret;

    /// <summary>How long an access token stays valid, measured with <see cref="TimeProvider"/>.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Seed data file; null means the seed.json shipped next to the assembly.</summary>
    public string? SeedFile { get; set; }

    /// <summary>Clock for token expiry, created_at/updated_at, latency and the rate limit; tests pass a FakeTimeProvider.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Waited before every /pub request is handled (token requests included; 401s and 429s are answered at once).
    /// Default zero. Read at each request, so a test or benchmark may change it while the sandbox runs.
    /// </summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Waited in addition per resource in the request body's data (a bulk create of n resources: n times). Default zero.</summary>
    public TimeSpan LatencyPerItem { get; set; }

    /// <summary>Up to this much more, uniformly at random, per request. Default zero.</summary>
    public TimeSpan LatencyJitter { get; set; }

    /// <summary>
    /// Requests each organization may make per <see cref="RateLimitWindow"/> (fixed window, token requests included);
    /// beyond it, 429 TooManyRequests with Retry-After. Default 0: no limit.
    /// </summary>
    public int RateLimit { get; set; }

    /// <summary>The rate limit's window. Default 1 second.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reads the settings present in a configuration section (e.g. "Sandbox" from the command line or environment):
    /// Port, Host, ClientId, ClientSecret, SecondClientId, SecondClientSecret, TokenLifetime, SeedFile, Latency,
    /// LatencyPerItem, LatencyJitter, RateLimit, RateLimitWindow. TokenLifetime is TimeSpan text ("01:00:00"); the
    /// latency and window durations are TimeSpan text ("00:00:00.200") or a whole number of milliseconds ("200"). Throws <see cref="FormatException"/> for a value it cannot read.
    /// </summary>
    public SandboxOptions Configure(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (section["Port"] is { } port) Port = int.Parse(port, CultureInfo.InvariantCulture);
        if (section["Host"] is { } host) Host = host;
        if (section["ClientId"] is { } id) ClientId = id;
        if (section["ClientSecret"] is { } secret) ClientSecret = secret;
        if (section["SecondClientId"] is { } secondId) SecondClientId = secondId;
        if (section["SecondClientSecret"] is { } secondSecret) SecondClientSecret = secondSecret;
        if (section["TokenLifetime"] is { } lifetime) TokenLifetime = TimeSpan.Parse(lifetime, CultureInfo.InvariantCulture);
        if (section["SeedFile"] is { } seed) SeedFile = Path.GetFullPath(seed);
        if (section["Latency"] is { } latency) Latency = Duration(latency, "Latency");
        if (section["LatencyPerItem"] is { } perItem) LatencyPerItem = Duration(perItem, "LatencyPerItem");
        if (section["LatencyJitter"] is { } jitter) LatencyJitter = Duration(jitter, "LatencyJitter");
        if (section["RateLimit"] is { } limit) RateLimit = int.Parse(limit, CultureInfo.InvariantCulture);
        if (section["RateLimitWindow"] is { } window) RateLimitWindow = Duration(window, "RateLimitWindow");
        return this;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a negative duration or limit, or an empty window.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Latency, TimeSpan.Zero, nameof(Latency));
        ArgumentOutOfRangeException.ThrowIfLessThan(LatencyPerItem, TimeSpan.Zero, nameof(LatencyPerItem));
        ArgumentOutOfRangeException.ThrowIfLessThan(LatencyJitter, TimeSpan.Zero, nameof(LatencyJitter));
        ArgumentOutOfRangeException.ThrowIfNegative(RateLimit, nameof(RateLimit));
        if (RateLimit > 0)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RateLimitWindow, TimeSpan.Zero, nameof(RateLimitWindow));
        }
    }

    private static TimeSpan Duration(string text, string name) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException($"{name}: '{text}' is neither a TimeSpan (00:00:00.200) nor a number of milliseconds");
}
