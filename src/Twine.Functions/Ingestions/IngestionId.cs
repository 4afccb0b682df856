using System.Security.Cryptography;
using System.Text;

namespace Twine.Functions.Ingestions;

/// <summary>Ingestion ids are 32 lowercase hex digits.</summary>
public static class IngestionId
{
    public const int Length = 32;

    /// <summary>A fresh id (a version 7 GUID: unique across instances): for ingestions no signed webhook-id names.</summary>
    public static string New(TimeProvider timeProvider) =>
        Guid.CreateVersion7(timeProvider.GetUtcNow()).ToString("N");

    /// <summary>
    /// The id of the ingestion a partner's signed webhook-id starts (<see cref="Partners.RequestKeys.WebhookIdKey"/>, already
    /// scoped to the partner): derived, not drawn, so that inserting the ingestion's row is at once the claim of its
    /// webhook-id. A repeat of the webhook-id finds the same row; no separate key row and no second round trip.
    /// The prefix changed with the row keys (<see cref="Platform.Storage.IngestionPartitionKeys"/>): an id derived before
    /// ("ingestion\n") names a partition of the previous layout, and a new row must never be inserted beside its old one.
    /// </summary>
    public static string ForWebhookId(string webhookIdKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("ingestion/2\n" + webhookIdKey)).AsSpan(0, Length / 2));

    public static bool IsValid(string? value) =>
        value is { Length: Length } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
