using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Platform.Polling;

public static class PollingServiceCollectionExtensions
{
    /// <summary>
    /// The PollTwineUpdates timer: options (section <c>PollTwineUpdates</c>, validated at start-up), the poller's tables,
    /// checkpoints and the run over every registered <see cref="ITwineUpdatesSource"/> (AddCalendarEvents and
    /// AddEmailHistory add theirs). Uses the storage clients (AddStorage) and the Twine client registered by the host.
    /// </summary>
    public static IServiceCollection AddPolling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PollingOptions>().Bind(configuration.GetSection(PollingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PollingOptions>, PollingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PollingOptions>, PollingTablesValidator>());
        services.TryAddSingleton<PollingTables>();
        services.AddStorageResources<PollingTables>();
        services.TryAddSingleton<PollCheckpointStore>();
        services.TryAddSingleton<TwineUpdatesPoller>();
        return services;
    }
}
