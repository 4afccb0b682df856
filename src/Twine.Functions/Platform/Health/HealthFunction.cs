using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Platform.Health;

/// <summary>GET /api/health. Binds the request and hands over to <see cref="HealthHandler"/>.</summary>
public sealed class HealthFunction(HealthHandler handler)
{
    [Function("Health")]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken) =>
        handler.HandleAsync(cancellationToken);
}
