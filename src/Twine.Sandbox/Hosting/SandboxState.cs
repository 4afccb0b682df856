using System.Collections.Concurrent;
using Twine.Sandbox.Auth;
using Twine.Sandbox.Faults;
using Twine.Sandbox.Store;

namespace Twine.Sandbox.Hosting;

/// <summary>Everything one sandbox instance remembers; a singleton in its WebApplication.</summary>
internal sealed class SandboxState
{
    private readonly IReadOnlyList<System.Text.Json.Nodes.JsonObject> _seed;

    private readonly ConcurrentDictionary<string, Lock> _organizationGates = new(StringComparer.Ordinal);

    private int _inFlight;

    /// <summary>/pub requests received and not answered yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    public void RequestEnded() => Interlocked.Decrement(ref _inFlight);

    public SandboxState(SandboxOptions options)
    {
        options.Validate();
        Options = options;
        Time = options.TimeProvider ?? TimeProvider.System;
        RateLimiter = new RateLimiter(options, Time);
        Latency = new LatencyModel(options, Time);
        _seed = SeedData.Load(options.SeedFile);

        // One pair of credentials per organization, in seed order: the default pair for the first, the second pair for the second.
        var organizations = _seed.Where(r => (string?)r["type"] == "organization").Select(r => (string)r["id"]!).ToList();
        if (organizations.Count == 0)
        {
            throw new InvalidOperationException("the seed data has no organization");
        }

        var clients = new List<ClientCredentials> { new(options.ClientId, options.ClientSecret, organizations[0]) };
        if (organizations.Count > 1)
        {
            clients.Add(new ClientCredentials(options.SecondClientId, options.SecondClientSecret, organizations[1]));
        }

        Tokens = new TokenStore(Time, options.TokenLifetime, clients);

        // Actions and bundles name only a plan (not served): the seed's ones belong to the first organization.
        foreach (var resource in _seed.Where(r => (string?)r["type"] is "action" or "bundle"))
        {
            resource[Resources.OrgScope.OrganizationMember] ??= organizations[0];
        }

        Store.Load(_seed.Select(r => r.DeepClone().AsObject()));
        Metrics.Rebuild(Store);
    }

    public SandboxOptions Options { get; }

    public TimeProvider Time { get; }

    public RateLimiter RateLimiter { get; }

    public LatencyModel Latency { get; }

    /// <summary>The duplicate-metric rule's index (see <see cref="MetricIndex"/>).</summary>
    public MetricIndex Metrics { get; } = new();

    public TokenStore Tokens { get; }

    public ResourceStore Store { get; } = new();

    public SandboxFaults Faults { get; } = new();

    public RequestCounter Requests { get; } = new();

    public string Now() => JsonApi.Dates.Format(Time.GetUtcNow());

    /// <summary>
    /// The lock of one organization, for the read-check-write sequences of rules that hold within an organization
    /// (patient identifiers, groups created by meta.query, duplicate metrics). Requests of other organizations, and
    /// everything else, go on in parallel. Hold no other gate while holding one.
    /// </summary>
    public Lock OrganizationGate(string organizationId) => _organizationGates.GetOrAdd(organizationId, _ => new Lock());

    public void Reset()
    {
        Store.Load(_seed.Select(r => r.DeepClone().AsObject()));
        Metrics.Rebuild(Store);
        RateLimiter.Reset();
        Faults.Clear();
        Requests.Clear();
        Tokens.Reset();
    }
}
