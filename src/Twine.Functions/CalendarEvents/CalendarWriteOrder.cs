using System.Globalization;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// The order of one calendar write for its externalId, carried in its queue message (member <c>order</c>): the partner's
/// own version when the write has one (<see cref="PartnerVersion"/>), then its signed <c>webhook-timestamp</c> (Unix
/// seconds), then the time the app received it. Writes for one externalId are applied in this
/// order, whatever order the queue delivers them in or however often they are rescheduled: a write older than the last
/// one applied is not sent to Twine and is recorded as <c>superseded</c> (docs/PROCESSING.md). Equal versions and equal
/// signed times: the later received wins (to the tick, 100 ns; two writes received in the same tick are applied in
/// processing order, and the same write delivered twice is never older than itself).
/// </summary>
/// <remarks>
/// The comparison is one text key (ordinal), kept on the link row as <c>LastOrder</c>:
/// <c>v.{sequence:D18}.{signedAt:D11}.{receivedTicks:D19}</c> for a sequence version, and
/// <c>t.{instantTicks:D19}.{signedAt:D11}.{receivedTicks:D19}</c> otherwise, where the instant is the
/// partner's <c>updated_at</c> or, without one, the signed time: a partner's update time and a signature time are both
/// instants and compare as such. Every sequence-versioned key sorts after every time-ordered one ('v' &gt; 't'): a
/// partner that numbers its writes numbers all of them (DELETEs included), and a write without a number cannot be placed
/// among numbered ones. Keys written before the partner version existed (<c>{signedAt:D11}.{receivedTicks:D19}</c>) are
/// read as <c>t.</c> keys (<see cref="Normalize"/>).
/// </remarks>
public sealed record CalendarWriteOrder(long SignedAt, DateTimeOffset ReceivedAt, PartnerVersion? Version = null)
{
    public const string Member = "order";
    public const long MaxSignedAt = 99_999_999_999; // 11 digits: year 5138, far past any valid webhook-timestamp

    /// <summary>A text that sorts (ordinal) as the orders do; kept on the link row as the last order applied.</summary>
    public string Key
    {
        get
        {
            var tail = string.Create(CultureInfo.InvariantCulture, $"{SignedAt:D11}.{ReceivedAt.UtcTicks:D19}");
            return Version?.Sequence is { } sequence
                ? string.Create(CultureInfo.InvariantCulture, $"v.{sequence:D18}.{tail}")
                : string.Create(CultureInfo.InvariantCulture, $"t.{(Version?.UpdatedAt ?? DateTimeOffset.FromUnixTimeSeconds(SignedAt)).UtcTicks:D19}.{tail}");
        }
    }

    /// <summary>True when this write is older than the last one applied (<paramref name="lastApplied"/>, a key).</summary>
    public bool IsOlderThan(string? lastApplied) =>
        Normalize(lastApplied) is { } last && string.CompareOrdinal(Key, last) < 0;

    /// <summary>The later of this order and <paramref name="lastApplied"/>, as a key.</summary>
    public string Latest(string? lastApplied)
    {
        var key = Key;
        return Normalize(lastApplied) is { } last && string.CompareOrdinal(last, key) > 0 ? last : key;
    }

    /// <summary>A stored key in the current form: a key from before partner versions (<c>{signedAt:D11}.{ticks:D19}</c>) becomes a <c>t.</c> key.</summary>
    public static string? Normalize(string? key)
    {
        if (key is { Length: 31 } && key[11] == '.' && long.TryParse(key.AsSpan(0, 11), NumberStyles.None, CultureInfo.InvariantCulture, out var signedAt)
            && signedAt <= MaxSignedAt)
        {
            return string.Create(CultureInfo.InvariantCulture, $"t.{DateTimeOffset.FromUnixTimeSeconds(signedAt).UtcTicks:D19}.{key}");
        }

        return key;
    }
}
