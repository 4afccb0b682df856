using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Polling.Queries;

/// <summary>The read endpoints over what PollTwineUpdates stored. Bind and hand over to the handlers.</summary>
public sealed class PollingQueryFunctions(EmailHistoryQueryHandler emailHistory, CalendarEventQueryHandler calendarEvents)
{
    [Function("GetEmailHistory")]
    public Task<IResult> GetEmailHistory(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "email-history")] HttpRequest request,
        CancellationToken cancellationToken) =>
        emailHistory.HandleAsync(request.Query["patient"].FirstOrDefault(), request.Query["pageSize"].FirstOrDefault(),
            request.Query["continuationToken"].FirstOrDefault(), cancellationToken);

    [Function("GetCalendarEvent")]
    public Task<IResult> GetCalendarEvent(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calendar-events/{externalId}")] HttpRequest request,
        string externalId,
        CancellationToken cancellationToken) =>
        calendarEvents.HandleAsync(externalId, cancellationToken);
}
