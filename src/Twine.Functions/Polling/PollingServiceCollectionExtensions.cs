using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Twine.Functions.Ingestion;
using Twine.Functions.Polling.CalendarEvents;
using Twine.Functions.Polling.Checkpoints;
using Twine.Functions.Polling.EmailHistory;
using Twine.Functions.Polling.Queries;

namespace Twine.Functions.Polling;

public static class PollingServiceCollectionExtensions
{
    /// <summary>
    /// PollTwineUpdates and the read endpoints: options (section <c>PollTwineUpdates</c>, validated at start-up), the
    /// poller's tables, checkpoints, pollers and handlers. Uses the storage clients and link store of
    /// <see cref="IngestionServiceCollectionExtensions.AddIngestion"/> (called here) and the Twine client registered by the host.
    /// </summary>
    public static IServiceCollection AddPolling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddIngestion(configuration);
        services.AddOptions<PollingOptions>().Bind(configuration.GetSection(PollingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PollingOptions>, PollingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PollingOptions>, PollingTablesValidator>());

        services.TryAddSingleton<PollingTables>();
        services.TryAddSingleton<PollCheckpointStore>();
        services.TryAddSingleton<EmailAddressHasher>();
        services.TryAddSingleton<EmailHistoryPoller>();
        services.TryAddSingleton<CalendarEventPoller>();
        services.TryAddSingleton<TwineUpdatesPoller>();
        services.TryAddSingleton<EmailHistoryQueryHandler>();
        services.TryAddSingleton<CalendarEventQueryHandler>();
        return services;
    }
}
