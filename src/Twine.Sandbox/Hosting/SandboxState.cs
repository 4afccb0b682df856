using Twine.Sandbox.Auth;
using Twine.Sandbox.Faults;
using Twine.Sandbox.Store;

namespace Twine.Sandbox.Hosting;

/// <summary>Everything one sandbox instance remembers; a singleton in its WebApplication.</summary>
internal sealed class SandboxState
{
    private readonly IReadOnlyList<System.Text.Json.Nodes.JsonObject> _seed;

    public SandboxState(SandboxOptions options)
    {
        Time = options.TimeProvider ?? TimeProvider.System;
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
    }

    public TimeProvider Time { get; }

    public TokenStore Tokens { get; }

    public ResourceStore Store { get; } = new();

    public SandboxFaults Faults { get; } = new();

    public RequestCounter Requests { get; } = new();

    public string Now() => JsonApi.Dates.Format(Time.GetUtcNow());

    public void Reset()
    {
        Store.Load(_seed.Select(r => r.DeepClone().AsObject()));
        Faults.Clear();
        Requests.Clear();
        Tokens.Reset();
    }
}
