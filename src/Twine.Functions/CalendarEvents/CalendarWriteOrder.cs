using System.Globalization;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// The order of one calendar write for its externalId, carried in its queue message (member <c>order</c>): the partner's
/// signed <c>webhook-timestamp</c> (Unix seconds), then the time the app received it. Writes for one externalId are
/// applied in this order, whatever order the queue delivers them in or however often they are rescheduled: a write
/// older than the last one applied is not sent to Twine and is recorded as <c>superseded</c> (docs/PROCESSING.md).
/// Equal signed times: the later received wins.
/// </summary>
public sealed record CalendarWriteOrder(long SignedAt, DateTimeOffset ReceivedAt)
{
    public const string Member = "order";
    public const long MaxSignedAt = 99_999_999_999; // 11 digits: year 5138, far past any valid webhook-timestamp

    /// <summary>A text that sorts (ordinal) as the orders do; kept on the link row as the last order applied.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"{SignedAt:D11}.{ReceivedAt.UtcTicks:D19}");

    /// <summary>True when this write is older than the last one applied (<paramref name="lastApplied"/>, a <see cref="Key"/>).</summary>
    public bool IsOlderThan(string? lastApplied) => lastApplied is not null && string.CompareOrdinal(Key, lastApplied) < 0;

    /// <summary>The later of this order and <paramref name="lastApplied"/>, as a key.</summary>
    public string Latest(string? lastApplied) => lastApplied is not null && string.CompareOrdinal(lastApplied, Key) > 0 ? lastApplied : Key;
}
