using Microsoft.AspNetCore.Http;

namespace Twine.Functions.Partners;

/// <summary>
/// The three Standard Webhooks headers as the partner sent them (unparsed). Passed from the function classes to the
/// handlers, which verify them before reading anything else.
/// </summary>
public sealed record WebhookHeaders(string? Id, string? Timestamp, string? Signature)
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    public static readonly WebhookHeaders None = new(null, null, null);

    /// <summary>Reads the headers; a header sent several times is joined with spaces (signature lists) or refused later.</summary>
    public static WebhookHeaders From(IHeaderDictionary headers) =>
        new(Single(headers, IdHeader), Single(headers, TimestampHeader), Joined(headers, SignatureHeader));

    private static string? Single(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 ? (values.Count == 1 ? values[0] : string.Join(",", values.ToArray())) : null;

    private static string? Joined(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 ? string.Join(" ", values.ToArray()) : null;
}
