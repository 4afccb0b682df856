using System.Text.Json;
using System.Text.Json.Serialization;

namespace Twine.Functions.EmailHistory;

/// <summary>The body of GET /api/email-history?patient={id}: one page of the patient's partition, in email-id order.</summary>
public sealed record EmailHistoryPage(string Patient, IReadOnlyList<EmailHistoryItem> Items, string? ContinuationToken, string? Next);

public sealed record EmailHistoryItem
{
    public required string Id { get; init; }
    public string? EmailType { get; init; }
    public DateTimeOffset? SendTime { get; init; }
    public string? Sender { get; init; }
    public required string Receiver { get; init; }

    /// <summary>The status reached last (from <see cref="StatusTimes"/>).</summary>
    public string? Status { get; init; }
    public DateTimeOffset? StatusAt { get; init; }
    public required IReadOnlyDictionary<string, DateTimeOffset> StatusTimes { get; init; }

    /// <summary>HMAC-SHA256 of the address with the app's key (hex); null when no key is configured.</summary>
    public string? EmailAddressHash { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public DateTimeOffset? PolledAt { get; init; }
}

/// <summary>What the opaque continuation token wraps: the patient it belongs to and the Table SDK's own token.</summary>
public sealed record EmailHistoryCursor(string P, string T);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EmailHistoryPage))]
[JsonSerializable(typeof(EmailHistoryCursor))]
public sealed partial class EmailHistoryJsonContext : JsonSerializerContext;
