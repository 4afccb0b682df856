using Twine.Functions.Ingestion.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Twine.Functions.Ingestion;
using Twine.Functions.Processing.CalendarEvents;
using Twine.Functions.Processing.Metrics;
using Twine.Functions.Processing.Poison;
using Twine.Functions.Processing.Retries;

namespace Twine.Functions.Processing;

public static class ProcessingServiceCollectionExtensions
{
    /// <summary>
    /// The queue side: metric and calendar-event processors and the poison handler. Needs what
    /// <see cref="IngestionServiceCollectionExtensions.AddIngestion"/> registers (stores, storage clients, queue names)
    /// and the Twine client (AddTwineSecrets, then AddTwineClient); the host registers both before this.
    /// Settings: section <c>Processing</c> (<see cref="ProcessingOptions"/>, validated at start-up); the trigger queue
    /// names are the <c>Storage</c> section's, see <see cref="IngestionQueues"/>. Adds <see cref="TwineAvailabilityHandler"/>
    /// to the Twine client's HttpClient: registered after AddTwineClient, it sits inside the client's resilience pipeline.
    /// </summary>
    public static IServiceCollection AddProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ProcessingOptions>().Bind(configuration.GetSection(ProcessingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProcessingOptions>, ProcessingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TwineAvailability>();
        services.AddHttpClient(TwineServiceCollectionExtensions.HttpClientName)
            .AddHttpMessageHandler(provider => new TwineAvailabilityHandler(provider.GetRequiredService<TwineAvailability>()));
        services.TryAddSingleton<IRetryQueue, StorageRetryQueue>();
        services.TryAddSingleton(new RetryJitter(Random.Shared));
        services.TryAddSingleton<MessageRetries>();
        services.TryAddSingleton<UnattributedMessages>();
        services.TryAddSingleton<MetricsMessageProcessor>();
        services.TryAddSingleton<CreatedEventFinder>();
        services.TryAddSingleton<CalendarEventMessageProcessor>();
        services.TryAddSingleton<PoisonMessageHandler>();
        return services;
    }
}
