using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Twine.Functions.Platform.Health;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.EmailHistory;

public static class EmailHistoryServiceCollectionExtensions
{
    /// <summary>
    /// GET /api/email-history, the email-history poller and the re-check of emails not final yet (PollTwineUpdates
    /// sources, in that order) and the email hash key (Key Vault
    /// through AddTwineSecrets' reader, or app settings) with its health check, over what AddPolling registers.
    /// </summary>
    public static IServiceCollection AddEmailHistory(this IServiceCollection services)
    {
        services.TryAddSingleton<EmailAddressHasher>();
        services.TryAddSingleton<EmailHistoryQueryHandler>();
        services.TryAddSingleton<EmailSenderDirectory>();
        services.TryAddSingleton<EmailHistoryPoller>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITwineUpdatesSource, EmailHistoryPoller>(sp => sp.GetRequiredService<EmailHistoryPoller>()));
        // After the senders' streams: the re-check of emails not final yet (late statuses) reads what they scheduled.
        services.TryAddSingleton<EmailRecheckQueue>();
        services.TryAddSingleton<EmailRecheckPoller>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITwineUpdatesSource, EmailRecheckPoller>(sp => sp.GetRequiredService<EmailRecheckPoller>()));
        if (!services.Any(d => d.ServiceType == typeof(EmailHashKeyHealthCheck)))
        {
            services.AddSingleton<EmailHashKeyHealthCheck>();
            services.AddHealthChecks().AddCheck<EmailHashKeyHealthCheck>("email-hash-key", timeout: HealthServiceCollectionExtensions.CheckTimeout);
        }
        return services;
    }
}
