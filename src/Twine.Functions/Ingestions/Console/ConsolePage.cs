using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Console;

/// <summary>
/// GET /api/console: one static page (console.html, embedded in the assembly: HTML, CSS and JavaScript, no CDN, no build
/// step) that reads only the JSON APIs (history, summary, status, replay) with the function key the operator types in
/// (kept in sessionStorage). The page itself holds no data, so it needs no key. Served with a Content-Security-Policy
/// that allows only its own inline script and style (by SHA-256) and requests to this origin.
/// </summary>
public static partial class ConsolePage
{
    public const string ResourceName = "Twine.Functions.Ingestions.Console.console.html";

    private static readonly Lazy<(byte[] Body, string Policy)> Page = new(Load);

    public static byte[] Html => Page.Value.Body;

    public static string ContentSecurityPolicy => Page.Value.Policy;

    public const string Instance = "/api/console";

    /// <summary>Where App Service Authentication signs an operator in with Microsoft Entra and brings them back to the console.</summary>
    public const string SignInPath = "/.auth/login/aad?post_login_redirect_uri=/api/console";

    /// <summary>
    /// The page, or the refusal when the operator sign-in is required and the request has no operator
    /// (<see cref="OperatorAccess"/>): to a browser (<paramref name="accept"/> names text/html) a short page that says what
    /// to do, with a "Sign in" link on 401; to anything else the problem details.
    /// </summary>
    public static IResult Serve(OperatorAccess access, StringValues principal, StringValues accept = default) =>
        access.Check(principal, Instance) is not { } refused ? Serve()
        : accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true) ? Refused(refused.StatusCode)
        : refused;

    /// <summary>The refusal as a page: no script, no style, nothing about who asked.</summary>
    public static IResult Refused(int status)
    {
        var body = status == StatusCodes.Status401Unauthorized
            ? $"<h1>Sign-in required</h1><p>The operator console needs a Microsoft Entra sign-in with the operator app role.</p><p><a id=\"sign-in\" href=\"{SignInPath}\">Sign in</a></p>"
            : "<h1>Not an operator</h1><p>You are signed in, but this account does not have the operator app role. Ask an administrator to assign it, then sign in again.</p>"
              + "<p><a href=\"/.auth/logout?post_logout_redirect_uri=/api/console\">Sign out</a> to use another account.</p>";
        var html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\"><link rel=\"icon\" href=\"data:,\">"
                   + "<title>Twine Functions – operator console</title></head><body>" + body + "</body></html>";
        return new BodyResult(status, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(html),
        [
            new("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
            new("X-Content-Type-Options", "nosniff"),
            new("Referrer-Policy", "no-referrer"),
            new("Cache-Control", "no-store"),
        ]);
    }

    public static IResult Serve() =>
        new BodyResult(StatusCodes.Status200OK, "text/html; charset=utf-8", Page.Value.Body,
        [
            new("Content-Security-Policy", Page.Value.Policy),
            new("X-Content-Type-Options", "nosniff"),
            new("Referrer-Policy", "no-referrer"),
            new("Cache-Control", "no-store"),
        ]);

    private static (byte[], string) Load()
    {
        using var stream = typeof(ConsolePage).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"{ResourceName} is not embedded.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var html = reader.ReadToEnd();
        var scripts = ScriptBlock().Matches(html).Select(m => Hash(m.Groups[1].Value));
        var styles = StyleBlock().Matches(html).Select(m => Hash(m.Groups[1].Value));
        var policy = "default-src 'none'; script-src " + string.Join(' ', scripts) + "; style-src " + string.Join(' ', styles)
                     + "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        return (Encoding.UTF8.GetBytes(html), policy);
    }

    private static string Hash(string block) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(block)))}'";

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptBlock();

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();
}
