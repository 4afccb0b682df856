using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Replay;

/// <summary>POST /api/ingestions/{id}/replay and POST /api/ingestions/replay (operators; function key, and the operator sign-in when required: OperatorAccess). Hands over to <see cref="ReplayHandler"/>.</summary>
public sealed class ReplayFunctions(ReplayHandler handler)
{
    [Function("ReplayIngestion")]
    public Task<IResult> ReplayOne(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "ingestions/{id}/replay")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        handler.ReplayOneAsync(request.Headers[ClientPrincipal.Header], id, QueryParameters.From(request.Query), cancellationToken);

    [Function("ReplayIngestions")]
    public Task<IResult> ReplayMany(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "ingestions/replay")] HttpRequest request,
        CancellationToken cancellationToken) =>
        handler.ReplayManyAsync(request.Headers[ClientPrincipal.Header], QueryParameters.From(request.Query), cancellationToken);
}
