using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Twine.Functions.Platform.Http;

/// <summary>
/// The operator routes' sign-in check (<see cref="OperatorAuthOptions"/>). With sign-in required, a request passes only
/// with an App Service Authentication principal (<see cref="ClientPrincipal.Header"/>) that has the operator app role:
/// 401 without a (readable) principal, 403 without the role. Logs only the decision, never who asked or their claims.
/// Without sign-in required every request passes (the function key is the guard).
/// </summary>
public sealed partial class OperatorAccess(IOptions<OperatorAuthOptions> options, ILogger<OperatorAccess> logger)
{
    /// <summary>Null when the request may go on; else the problem to answer.</summary>
    public BodyResult? Check(StringValues principalHeader, string instance)
    {
        var settings = options.Value;
        if (!settings.RequireSignIn)
        {
            return null;
        }

        var principal = principalHeader.Count == 1 ? ClientPrincipal.TryParse(principalHeader[0]) : null;
        if (principal is null)
        {
            LogRefused(logger, instance, principalHeader.Count == 0 ? "no principal" : "unreadable principal");
            return Problems.Create(401, "sign-in-required", "Sign-in required",
                "This route needs a Microsoft Entra sign-in: open /.auth/login/aad?post_login_redirect_uri=/api/console, sign in, and try again.",
                instance, [new ProblemError("No signed-in principal.", Header: ClientPrincipal.Header)]);
        }

        if (!principal.HasRole(settings.Role))
        {
            LogRefused(logger, instance, "no operator role");
            return Problems.Create(403, "operator-role-required", "The signed-in account is not an operator",
                $"The account has no app role {settings.Role}; an administrator assigns it in Microsoft Entra (Enterprise applications > the app > Users and groups).",
                instance, [new ProblemError("No operator role.", Header: ClientPrincipal.Header)]);
        }

        return null;
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Operator request to {Instance} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string instance, string reason);
}
