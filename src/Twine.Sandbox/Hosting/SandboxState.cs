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
        Tokens = new TokenStore(Time, options.TokenLifetime, options.ClientId, options.ClientSecret);
        _seed = SeedData.Load(options.SeedFile);
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
