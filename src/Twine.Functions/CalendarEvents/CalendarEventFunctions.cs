using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Partners;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// The route /api/calendar-events/{externalId}: PUT and DELETE (partner writes, signed) hand over to
/// <see cref="CalendarEventIngestionHandler"/>; GET (operators: the link and the event as last polled) to
/// <see cref="CalendarEventQueryHandler"/>.
/// </summary>
public sealed class CalendarEventFunctions(CalendarEventIngestionHandler writes, CalendarEventQueryHandler reads)
{
    [Function("IngestCalendarEvent")]
    public Task<IResult> Put(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "calendar-events/{externalId}")] HttpRequest request,
        string externalId,
        CancellationToken cancellationToken) =>
        writes.HandlePutAsync(WebhookRequest.From(request), externalId, cancellationToken);

    [Function("DeleteCalendarEvent")]
    public Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "calendar-events/{externalId}")] HttpRequest request,
        string externalId,
        CancellationToken cancellationToken) =>
        writes.HandleDeleteAsync(WebhookRequest.From(request), externalId, cancellationToken);

    [Function("GetCalendarEvent")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calendar-events/{externalId}")] HttpRequest request,
        string externalId,
        CancellationToken cancellationToken) =>
        reads.HandleAsync(externalId, cancellationToken);
}
