using System.Security.Cryptography;
using System.Text;

namespace Twine.Functions.Platform.Storage;

/// <summary>Partition and row keys of every table in one place; docs/STORAGE.md explains the choices.</summary>
public static class TableKeys
{
    /// <summary>
    /// Ingestions rows written before every row key carried its ingestion id: RK = this constant (the layout is read on:
    /// <see cref="IngestionPartitionKeys"/>). Also the upper bound of a query for an ingestion's row and outcomes in either
    /// layout (<c>RowKey le 'ingestion'</c>: outcome keys start with digits, <c>i_…</c> sorts before <c>ingestion</c>).
    /// </summary>
    public const string LegacyIngestionRow = "ingestion";

    /// <summary>Whether a row key of the Ingestions table is an ingestion row, in either layout.</summary>
    public static bool IsIngestionRow(string rowKey) =>
        rowKey == LegacyIngestionRow || rowKey.StartsWith(IngestionPartitionKeys.RowPrefix, StringComparison.Ordinal);

    /// <summary>CalendarEventLinks: PK = the partner's externalId, RK = this constant.</summary>
    public const string CalendarEventLinkRow = "link";

    /// <summary>
    /// CalendarEventLinks' reverse rows: PK = the Twine calendar_event id, RK = this constant, column ExternalId. Written when
    /// a link becomes linked, so the poller can tie an event it reads from Twine to the partner's id with a point read.
    /// </summary>
    public const string CalendarEventTwineIdRow = "twine-id";

    /// <summary>
    /// IngestionKeys: PK = SHA-256 of the Idempotency-Key, RK = <c>key_</c> + the same hash (unique across the table: see
    /// <see cref="IngestionPartitionKeys"/> on why no two partitions share a row key). Claims made before: RK
    /// <see cref="LegacyIdempotencyKeyRow"/>.
    /// </summary>
    public static string IdempotencyKeyRow(string partition) => "key_" + partition;

    public const string LegacyIdempotencyKeyRow = "key";

    /// <summary>
    /// The upper bound of an ingestion's outcome rows (<see cref="IngestionPartitionKeys.Outcome"/>: they start with the
    /// zero-padded message index, so they sort in message order and before the ingestion row; digits sort before letters).
    /// </summary>
    public const string MessageRowsEnd = "a";

    /// <summary>A message index zero-padded to five digits: outcome and kept-copy row keys start with it.</summary>
    public static string MessageIndex(int messageIndex) =>
        messageIndex.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The message index an outcome row key starts with (<c>00003</c> or <c>00003_…</c>); null for any other key.</summary>
    public static int? MessageIndexOf(string rowKey)
    {
        var digits = rowKey.AsSpan();
        var end = digits.IndexOf('_');
        if (end >= 0)
        {
            digits = digits[..end];
        }

        return digits.Length > 0 && int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
    }

    /// <summary>
    /// Idempotency keys are caller-chosen text; hashing gives a key that is always a valid, fixed-length table key
    /// and keeps the caller's text out of storage keys.
    /// </summary>
    public static string IdempotencyKeyPartition(string idempotencyKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)));

    /// <summary>
    /// Whether an id Twine gave us can be a PartitionKey or RowKey as it is: printable ASCII without the characters
    /// Table Storage forbids in keys (<c>/ \ # ?</c>), at most 200 characters. Rows with other ids are skipped, not mangled.
    /// </summary>
    public static bool IsSafeKey(string value) =>
        value.Length is > 0 and <= 200 && value.All(c => c is > '\u001f' and < '\u007f' and not ('/' or '\\' or '#' or '?'));

    /// <summary>IngestionIndex: PK = the UTC day an ingestion was created, <c>yyyyMMdd</c> (one partition per day).</summary>
    public static string IndexDay(DateTimeOffset createdAt) =>
        createdAt.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// IngestionIndex: RK = inverted creation time (19 digits: DateTimeOffset.MaxValue ticks minus the creation ticks, so a
    /// partition lists newest first) + "_" + the ingestion id (unique even for two ingestions created in the same tick).
    /// </summary>
    public static string IndexRow(DateTimeOffset createdAt, string ingestionId) => InvertedTime(createdAt) + "_" + ingestionId;

    /// <summary>The 19-digit inverted time a row key starts with: later times give smaller keys.</summary>
    public static string InvertedTime(DateTimeOffset time) =>
        (DateTimeOffset.MaxValue.UtcTicks - time.UtcTicks).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>IngestionIndex partitions that are not days (their keys start with a letter, so they sort after every day).</summary>
    public const string RetentionStatePartition = "retention";

    /// <summary>
    /// IngestionIndex: the alias rows' partition (RK = <see cref="IndexRow"/> of the alias): never listed, read by retention
    /// only, so that an alias (a webhook-id that repeated another ingestion) goes when it is as old as the retention.
    /// </summary>
    public const string AliasIndexPartition = "alias";

    /// <summary>
    /// Kept copies of queue messages (for replay) sort in the Ingestions partition from this prefix
    /// (<see cref="IngestionPartitionKeys.Kept"/>: "m" + the outcome key), after the ingestion row.
    /// </summary>
    public const string KeptMessageRowPrefix = "m";

    /// <summary>The row key after every kept copy's ("n" follows "m").</summary>
    public const string KeptMessageRowsEnd = "n";

    /// <summary>IngestionMessages (before kept copies moved into the Ingestions partition): RK = the message index.</summary>
    public static string LegacyKeptMessageRow(int messageIndex) => MessageIndex(messageIndex);
}
