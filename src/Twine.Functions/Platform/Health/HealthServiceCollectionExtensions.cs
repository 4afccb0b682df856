using Microsoft.Extensions.DependencyInjection;

namespace Twine.Functions.Platform.Health;

public static class HealthServiceCollectionExtensions
{
    // A check that hangs must not hang the endpoint: each one is cut off and reported unhealthy.
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    /// <summary>GET /api/health: Twine credentials and token and the triggers' settings here; each capability adds its own checks (storage: AddIngestions).</summary>
    public static IServiceCollection AddHealthEndpoint(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<TwineCredentialsHealthCheck>("twine-credentials", timeout: CheckTimeout)
            .AddCheck<TwineTokenHealthCheck>("twine-token", timeout: CheckTimeout)
            .AddCheck<TriggerSettingsHealthCheck>("trigger-settings", timeout: CheckTimeout);
        services.AddSingleton<HealthHandler>();
        return services;
    }
}
