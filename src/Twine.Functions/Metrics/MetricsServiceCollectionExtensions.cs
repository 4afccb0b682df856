using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Twine.Functions.Metrics;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>POST /api/metrics and the metrics queue's processor, over what AddIngestions and AddProcessing register.</summary>
    public static IServiceCollection AddPatientHealthMetrics(this IServiceCollection services)
    {
        services.TryAddSingleton<MetricsIngestionHandler>();
        services.TryAddSingleton<MetricsMessageProcessor>();
        return services;
    }
}
