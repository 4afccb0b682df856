using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.EmailHistory;

public static class EmailHistoryServiceCollectionExtensions
{
    /// <summary>GET /api/email-history and the email-history poller (a PollTwineUpdates source), over what AddPolling registers.</summary>
    public static IServiceCollection AddEmailHistory(this IServiceCollection services)
    {
        services.TryAddSingleton<EmailAddressHasher>();
        services.TryAddSingleton<EmailHistoryQueryHandler>();
        services.TryAddSingleton<EmailSenderDirectory>();
        services.TryAddSingleton<EmailHistoryPoller>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITwineUpdatesSource, EmailHistoryPoller>(sp => sp.GetRequiredService<EmailHistoryPoller>()));
        return services;
    }
}
