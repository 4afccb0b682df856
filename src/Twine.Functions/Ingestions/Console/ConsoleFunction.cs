using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Ingestions.Console;

/// <summary>GET /api/console: the operator console page (no data in it, so no key; the APIs it calls need one).</summary>
public sealed class ConsoleFunction
{
    [Function("OperatorConsole")]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console")] HttpRequest request) =>
        ConsolePage.Serve();
}
