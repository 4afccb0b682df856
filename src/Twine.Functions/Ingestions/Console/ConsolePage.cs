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

    /// <summary>The page, or the sign-in problem when the operator sign-in is required and the request has none (<see cref="OperatorAccess"/>).</summary>
    public static IResult Serve(OperatorAccess access, StringValues principal) => access.Check(principal, Instance) ?? Serve();

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
