using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Console;

/// <summary>
/// GET /api/console: the operator console page (no data in it, so no key; the APIs it calls need one). With the operator
/// sign-in required (<see cref="OperatorAccess"/>) the page too is served only to a signed-in operator; a browser that is
/// refused gets a short page with a "Sign in" link instead.
/// </summary>
public sealed class ConsoleFunction(OperatorAccess access)
{
    [Function("OperatorConsole")]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console")] HttpRequest request) =>
        ConsolePage.Serve(access, request.Headers[ClientPrincipal.Header], request.Headers.Accept);
}
