using Microsoft.AspNetCore.Http;

namespace Twine.Functions.Partners;

/// <summary>
/// What a webhook write's handler reads from the HTTP request, taken from it by the function class: the Standard
/// Webhooks headers, the body's framing (type, coding, length) and the optional Idempotency-Key. Handlers take this
/// instead of <see cref="HttpRequest"/> so that they run, and are tested, without the Functions host.
/// </summary>
public sealed record WebhookRequest(
    WebhookHeaders Webhook,
    string? ContentType,
    string? ContentEncoding,
    long? ContentLength,
    string? IdempotencyKey,
    Stream Body)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <remarks>A header sent twice is joined with ", ", so a doubled Idempotency-Key (no spaces allowed) is refused, never half-used.</remarks>
    public static WebhookRequest From(HttpRequest request) =>
        new(WebhookHeaders.From(request.Headers),
            request.ContentType,
            request.Headers.ContentEncoding.Count == 0 ? null : string.Join(",", request.Headers.ContentEncoding.ToArray()),
            request.ContentLength,
            request.Headers[IdempotencyKeyHeader].Count == 0 ? null : string.Join(", ", request.Headers[IdempotencyKeyHeader].ToArray()),
            request.Body);
}
