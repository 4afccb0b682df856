using Microsoft.Extensions.Time.Testing;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// The Twine sandbox on a free loopback port, one per test class (tests of a class run one after another and each
/// starts from <see cref="SandboxServer.Reset"/>). Its clock is fake and starts where the test apps' clocks start.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(TestApp.Start);

    public SandboxServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Server = await SandboxServer.StartAsync(new SandboxOptions { Port = 0, TimeProvider = Time });

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
