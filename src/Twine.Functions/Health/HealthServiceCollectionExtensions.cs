using Microsoft.Extensions.DependencyInjection;

namespace Twine.Functions.Health;

public static class HealthServiceCollectionExtensions
{
    // A check that hangs must not hang the endpoint: each one is cut off and reported unhealthy.
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    /// <summary>GET /api/health: storage, Twine credentials, Twine token.</summary>
    public static IServiceCollection AddHealthEndpoint(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", timeout: CheckTimeout)
            .AddCheck<TwineCredentialsHealthCheck>("twine-credentials", timeout: CheckTimeout)
            .AddCheck<TwineTokenHealthCheck>("twine-token", timeout: CheckTimeout);
        services.AddSingleton<HealthHandler>();
        return services;
    }
}
