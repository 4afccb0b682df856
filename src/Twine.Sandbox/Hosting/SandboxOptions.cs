namespace Twine.Sandbox;

/// <summary>Settings for one sandbox instance (see docs/SANDBOX.md).</summary>
public sealed class SandboxOptions
{
    /// <summary>Default client id accepted by the token endpoint.</summary>
    public const string DefaultClientId = "sandbox-client-id";

    /// <summary>Default client secret accepted by the token endpoint.</summary>
    public const string DefaultClientSecret = "sandbox-client-secret";

    /// <summary>TCP port; 0 picks a free port (read it back from <see cref="SandboxServer.BaseAddress"/>).</summary>
    public int Port { get; set; } = 5080;

    /// <summary>Loopback address to listen on.</summary>
    public string Host { get; set; } = "127.0.0.1";

    public string ClientId { get; set; } = DefaultClientId;

    public string ClientSecret { get; set; } = DefaultClientSecret;

    /// <summary>How long an access token stays valid, measured with <see cref="TimeProvider"/>.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Seed data file; null means the seed.json shipped next to the assembly.</summary>
    public string? SeedFile { get; set; }

    /// <summary>Clock for token expiry and created_at/updated_at; tests pass a FakeTimeProvider.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
