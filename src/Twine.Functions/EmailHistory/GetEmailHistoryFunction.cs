using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.EmailHistory;

/// <summary>GET /api/email-history?patient={id}: what PollTwineUpdates stored. Bind and hand over to <see cref="EmailHistoryQueryHandler"/>.</summary>
public sealed class GetEmailHistoryFunction(EmailHistoryQueryHandler emailHistory)
{
    [Function("GetEmailHistory")]
    public Task<IResult> GetEmailHistory(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "email-history")] HttpRequest request,
        CancellationToken cancellationToken) =>
        emailHistory.HandleAsync(request.Query["patient"].FirstOrDefault(), request.Query["pageSize"].FirstOrDefault(),
            request.Query["continuationToken"].FirstOrDefault(), cancellationToken);
}
