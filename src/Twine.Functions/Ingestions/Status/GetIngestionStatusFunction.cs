using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Status;

/// <summary>GET /api/ingestions/{id}. Hands over to <see cref="IngestionStatusHandler"/>.</summary>
public sealed class GetIngestionStatusFunction(IngestionStatusHandler handler)
{
    [Function("GetIngestionStatus")]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "ingestions/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        handler.HandleAsync(request.Headers[ClientPrincipal.Header], id, cancellationToken);
}
