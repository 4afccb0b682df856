using System.Globalization;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// The partner's own version of a calendar event, when its write carries one: a sequence number (<c>meta.version</c>
/// on the JSON:API body; a FHIR Appointment's numeric <c>meta.versionId</c>) or the time the partner last changed the
/// event (<c>meta.updated_at</c>; a FHIR Appointment's <c>meta.lastUpdated</c>). It orders writes for one externalId
/// before the signed <c>webhook-timestamp</c> does (<see cref="CalendarWriteOrder"/>). Exactly one of the two is set.
/// </summary>
public sealed record PartnerVersion
{
    /// <summary>18 digits: far above any real version counter, and the key stays fixed-width.</summary>
    public const long MaxSequence = 999_999_999_999_999_999;

    /// <summary>The queue message members (inside <c>order</c>) and the JSON:API <c>meta</c> members.</summary>
    public const string SequenceMember = "version";
    public const string UpdatedAtMessageMember = "updatedAt";
    public const string UpdatedAtMetaMember = "updated_at";

    /// <summary>How far after the signed <c>webhook-timestamp</c> a partner's <c>updated_at</c> may lie (clock skew, as the signature's tolerance).</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    private PartnerVersion(long? sequence, DateTimeOffset? updatedAt)
    {
        Sequence = sequence;
        UpdatedAt = updatedAt;
    }

    public long? Sequence { get; }
    public DateTimeOffset? UpdatedAt { get; }

    public static PartnerVersion FromSequence(long sequence) =>
        sequence is >= 0 and <= MaxSequence ? new(sequence, null) : throw new ArgumentOutOfRangeException(nameof(sequence));

    /// <summary>Kept in UTC (the queue message's text carries it to the tick, so a round trip keeps it equal).</summary>
    public static PartnerVersion FromUpdatedAt(DateTimeOffset updatedAt) => new(null, updatedAt.ToUniversalTime());

    /// <summary>
    /// For a FHIR route: a <c>meta.versionId</c> that is a decimal integer is a sequence; otherwise (FHIR's version ids
    /// are opaque strings) <c>meta.lastUpdated</c>; neither: null, and the signed timestamp orders the write.
    /// </summary>
    public static PartnerVersion? FromFhirMeta(string? versionId, DateTimeOffset? lastUpdated) =>
        TryParseSequence(versionId, out var sequence) ? FromSequence(sequence)
        : lastUpdated is { } at ? FromUpdatedAt(at)
        : null;

    /// <summary>Strict: <c>0</c> or a decimal integer without sign, leading zeros, fraction or exponent, at most <see cref="MaxSequence"/>.</summary>
    public static bool TryParseSequence(string? text, out long sequence)
    {
        sequence = 0;
        if (string.IsNullOrEmpty(text) || text.Length > 18 || (text.Length > 1 && text[0] == '0') || !text.All(char.IsAsciiDigit))
        {
            return false;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out sequence) && sequence <= MaxSequence;
    }

    /// <summary>The updated-at text written into a queue message (UTC, 7 fractional digits).</summary>
    public static string FormatTimestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
