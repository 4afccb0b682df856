namespace Twine.Functions.Webhooks;

/// <summary>
/// The key a signed request is deduplicated by. The Idempotency-Key when the partner sends one (an application-level
/// key it chose; unchanged from before signatures, so its namespace is shared by all partners: use unguessable keys
/// such as UUIDs). Otherwise the signed webhook-id, scoped to the partner so that two partners never share one; the
/// newline in it keeps it apart from every Idempotency-Key (which are printable ASCII without spaces).
/// </summary>
public static class WebhookIdempotency
{
    public static string Key(string partner, string? idempotencyKey, string webhookId) =>
        idempotencyKey ?? $"webhook-id\n{partner.ToLowerInvariant()}\n{webhookId}";
}
