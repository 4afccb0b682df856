using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Ingestions.History;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Ingestions.Replay;
using Twine.Functions.Ingestions.Retention;
using Twine.Functions.Ingestions.Status;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Health;
using Twine.Functions.Platform.Http;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

public static class IngestionServiceCollectionExtensions
{
    /// <summary>
    /// What every kind of ingestion shares: storage (<see cref="StorageServiceCollectionExtensions.AddStorage"/>), partner
    /// signatures, the acceptor and its idempotency keys, the ingestion store, status, failure recording, queue names,
    /// and the storage health check. The capabilities (metrics, calendar events) add their own handlers on top.
    /// </summary>
    public static IServiceCollection AddIngestions(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IngestionStore)))
        {
            return services; // registered already: the health check must not be added twice
        }

        services.AddStorage(configuration);
        services.AddOperatorAccess(configuration); // the operator routes (status, history, replay, console) check the sign-in
        services.AddPartnerSignatures(configuration); // every write endpoint verifies partner signatures first
        services.TryAddSingleton<IngestionQueues>();
        services.AddStorageResources<IngestionQueues>();
        services.TryAddSingleton<IngestionIndex>();
        services.TryAddSingleton<IngestionStore>();
        services.TryAddSingleton<IdempotencyKeyStore>();
        services.TryAddSingleton<AcceptFollowUps>();
        services.AddHostedService(sp => sp.GetRequiredService<AcceptFollowUps>()); // the worker waits for them when it stops
        services.TryAddSingleton<IngestionAcceptor>();
        services.TryAddSingleton<IngestionStatusHandler>();
        services.TryAddSingleton<IngestionHistoryHandler>();
        services.TryAddSingleton<IngestionReplayer>();
        services.TryAddSingleton<ReplayHandler>();
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>());
        services.TryAddSingleton<RetentionRunner>();
        services.TryAddSingleton<QueueFailureRecorder>();
        services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", timeout: HealthServiceCollectionExtensions.CheckTimeout);
        return services;
    }
}
