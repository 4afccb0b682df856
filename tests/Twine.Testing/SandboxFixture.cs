using Microsoft.Extensions.Time.Testing;
using Twine.Sandbox;

namespace Twine.Testing;

/// <summary>
/// The Twine sandbox on a free loopback port, one per test class (tests of a class run one after another and each
/// starts from <see cref="SandboxServer.Reset"/>). Its clock is fake and starts where the test apps' clocks start
/// unless a derived fixture says otherwise; <see cref="Configure"/> changes its options before it starts.
/// </summary>
public class SandboxFixture : IAsyncLifetime
{
    public SandboxFixture()
        : this(TestApp.Start)
    {
    }

    protected SandboxFixture(DateTimeOffset start) => Time = new FakeTimeProvider(start);

    public FakeTimeProvider Time { get; }

    public SandboxServer Server { get; private set; } = null!;

    /// <summary>Changes the options before the sandbox starts (token lifetime, latency, …).</summary>
    protected virtual void Configure(SandboxOptions options)
    {
    }

    public virtual async ValueTask InitializeAsync()
    {
        var options = new SandboxOptions { Port = 0, TimeProvider = Time };
        Configure(options);
        Server = await SandboxServer.StartAsync(options, TestContext.Current.CancellationToken);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
