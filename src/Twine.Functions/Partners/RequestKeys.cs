namespace Twine.Functions.Partners;

/// <summary>
/// The keys one signed write is deduplicated by, each scoped to the partner whose signature it carries:
/// <list type="bullet">
/// <item>the webhook-id, always. It is signed, so only the partner can mint a new one; once seen for a partner it never
/// starts a second ingestion, whatever other header (Idempotency-Key included) is changed on a replay.</item>
/// <item>the Idempotency-Key, when the partner sends one. It is not signed, so it can only ever find an ingestion the
/// partner already started (a retry sent with a new webhook-id), never open a new one for a seen webhook-id.</item>
/// </list>
/// The newline-separated prefixes keep the two kinds and the partners apart (ids and keys are printable ASCII).
/// </summary>
public sealed record RequestKeys(string Partner, string WebhookId, string? IdempotencyKey)
{
    public string WebhookIdKey => $"webhook-id\n{Partner.ToLowerInvariant()}\n{WebhookId}";

    public string? IdempotencyKeyKey => IdempotencyKey is null ? null : $"idempotency-key\n{Partner.ToLowerInvariant()}\n{IdempotencyKey}";
}
