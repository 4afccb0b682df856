using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.History;

/// <summary>GET /api/ingestions and GET /api/ingestions/summary (operators; function key, and the operator sign-in when required: OperatorAccess). Hands over to <see cref="IngestionHistoryHandler"/>.</summary>
public sealed class IngestionHistoryFunctions(IngestionHistoryHandler handler)
{
    [Function("ListIngestions")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "ingestions")] HttpRequest request,
        CancellationToken cancellationToken) =>
        handler.ListAsync(request.Headers[ClientPrincipal.Header], QueryParameters.From(request.Query), cancellationToken);

    [Function("GetIngestionSummary")]
    public Task<IResult> Summary(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "ingestions/summary")] HttpRequest request,
        CancellationToken cancellationToken) =>
        handler.SummaryAsync(request.Headers[ClientPrincipal.Header], cancellationToken);
}
