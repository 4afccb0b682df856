using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.CalendarEvents;

public static class CalendarEventsServiceCollectionExtensions
{
    /// <summary>
    /// The /api/calendar-events/{externalId} routes, the link store, the calendar queue's processor and the calendar
    /// poller (a PollTwineUpdates source), over what AddIngestions, AddProcessing and AddPolling register.
    /// </summary>
    public static IServiceCollection AddCalendarEvents(this IServiceCollection services)
    {
        services.TryAddSingleton<CalendarEventIngestionHandler>();
        services.TryAddSingleton<CalendarEventLinkStore>();
        services.TryAddSingleton<CreatedEventFinder>();
        services.TryAddSingleton<CalendarLinkClaims>();
        services.TryAddSingleton<CalendarEventUpsert>();
        services.TryAddSingleton<CalendarEventDelete>();
        services.TryAddSingleton<CalendarEventMessageProcessor>();
        services.TryAddSingleton<CalendarEventQueryHandler>();
        services.TryAddSingleton<CalendarEventPoller>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITwineUpdatesSource, CalendarEventPoller>(sp => sp.GetRequiredService<CalendarEventPoller>()));
        return services;
    }
}
