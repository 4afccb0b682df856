using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Webhooks;

namespace Twine.Functions.Ingestion.CalendarEvents;

/// <summary>PUT and DELETE /api/calendar-events/{externalId}. Bind and hand over to <see cref="CalendarEventIngestionHandler"/>.</summary>
public sealed class IngestCalendarEventFunctions(CalendarEventIngestionHandler handler)
{
    [Function("IngestCalendarEvent")]
    public Task<IResult> Put(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "calendar-events/{externalId}")] HttpRequest request,
        string externalId,
        CancellationToken cancellationToken) =>
        handler.HandlePutAsync(WebhookRequest.From(request), externalId, cancellationToken);

    [Function("DeleteCalendarEvent")]
    public Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "calendar-events/{externalId}")] HttpRequest request,
        string externalId,
        CancellationToken cancellationToken) =>
        handler.HandleDeleteAsync(WebhookRequest.From(request), externalId, cancellationToken);
}
