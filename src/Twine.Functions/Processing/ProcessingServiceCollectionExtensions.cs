using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Twine.Functions.Ingestion;
using Twine.Functions.Processing.CalendarEvents;
using Twine.Functions.Processing.Metrics;
using Twine.Functions.Processing.Poison;

namespace Twine.Functions.Processing;

public static class ProcessingServiceCollectionExtensions
{
    /// <summary>
    /// The queue side: metric and calendar-event processors and the poison handler. Needs what
    /// <see cref="IngestionServiceCollectionExtensions.AddIngestion"/> registers (stores, storage clients, queue names)
    /// and the Twine client (AddTwineSecrets, then AddTwineClient); the host registers both before this.
    /// <paramref name="configuration"/> is taken for symmetry with AddIngestion: processing has no settings of its own
    /// (the trigger queue names are the <c>Storage</c> section's, see <see cref="ProcessingQueues"/>).
    /// </summary>
    public static IServiceCollection AddProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton<MetricsMessageProcessor>();
        services.TryAddSingleton<CreatedEventFinder>();
        services.TryAddSingleton<CalendarEventMessageProcessor>();
        services.TryAddSingleton<PoisonMessageHandler>();
        return services;
    }
}
