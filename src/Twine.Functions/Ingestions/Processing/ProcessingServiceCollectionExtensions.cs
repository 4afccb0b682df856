using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Twine.Functions.Ingestions.Poison;
using Twine.Functions.Ingestions.Retries;

namespace Twine.Functions.Ingestions.Processing;

public static class ProcessingServiceCollectionExtensions
{
    /// <summary>
    /// What every queue processor shares: rescheduling with back-off, the per-instance Twine circuit, unattributed
    /// messages and the poison handler. Needs what <see cref="IngestionServiceCollectionExtensions.AddIngestions"/>
    /// registers and the Twine client (AddTwineSecrets, then AddTwineClient); the composition root registers both first.
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
        services.TryAddSingleton<PoisonMessageHandler>();
        return services;
    }
}
