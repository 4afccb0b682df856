using System.Text.Json;
using Microsoft.Extensions.Logging;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Partners;

/// <summary>
/// The one log line of a refused webhook write: the route, the status, the reason (the problem type, e.g.
/// <c>validation</c>, <c>bad-signature</c>), the partner when its signature identified it, and the webhook-id. Never the
/// body, the problem's detail or any header but the webhook-id (printable ASCII up to 256 characters; anything else is
/// logged as <c>(invalid)</c>, so a hostile header cannot forge log lines).
/// </summary>
public static partial class RefusalLog
{
    public const int MaxWebhookIdLength = 256;

    public static BodyResult Refused(ILogger logger, string route, BodyResult problem, WebhookRequest request, string? partner)
    {
        LogRefused(logger, route, problem.StatusCode, Reason(problem), partner?.ToLowerInvariant() ?? "(not identified)", SafeWebhookId(request.Webhook.Id));
        return problem;
    }

    /// <summary>The problem type's last segment (<c>urn:twine-functions:problem:validation</c> → <c>validation</c>).</summary>
    public static string Reason(BodyResult problem)
    {
        try
        {
            using var document = JsonDocument.Parse(problem.Body);
            return document.RootElement.TryGetProperty("type", out var type) && type.GetString() is { } text ? text[(text.LastIndexOf(':') + 1)..] : "unknown";
        }
        catch (JsonException)
        {
            return "unknown";
        }
    }

    public static string SafeWebhookId(string? id) =>
        id switch
        {
            null or "" => "(none)",
            { Length: <= MaxWebhookIdLength } when id.All(c => c is > ' ' and <= '~') => id,
            _ => "(invalid)",
        };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Route} request refused: {StatusCode} {Reason}; partner {Partner}, webhook-id {WebhookId}")]
    private static partial void LogRefused(ILogger logger, string route, int statusCode, string reason, string partner, string webhookId);
}
