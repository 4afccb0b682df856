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

    /// <summary>Clock for token expiry and created_at/updated_at; tests pass a FakeTimeProvider.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
