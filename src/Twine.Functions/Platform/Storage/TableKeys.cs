using System.Security.Cryptography;
using System.Text;

namespace Twine.Functions.Platform.Storage;

/// <summary>Partition and row keys of every table in one place; docs/STORAGE.md explains the choices.</summary>
public static class TableKeys
{
    /// <summary>Ingestions: PK = ingestion id, RK = this constant. One row per partition: a point read by id.</summary>
    public const string IngestionRow = "ingestion";

    /// <summary>CalendarEventLinks: PK = the partner's externalId, RK = this constant.</summary>
    public const string CalendarEventLinkRow = "link";

    /// <summary>
    /// CalendarEventLinks' reverse rows: PK = the Twine calendar_event id, RK = this constant, column ExternalId. Written when
    /// a link becomes linked, so the poller can tie an event it reads from Twine to the partner's id with a point read.
    /// </summary>
    public const string CalendarEventTwineIdRow = "twine-id";

    /// <summary>IngestionKeys: PK = SHA-256 of the Idempotency-Key, RK = this constant.</summary>
    public const string IdempotencyKeyRow = "key";

    /// <summary>
    /// A message's outcome in the Ingestions table: PK = ingestion id, RK = the message index zero-padded so rows sort in
    /// message order, all before the ingestion row (<see cref="IngestionRow"/>: digits sort before letters).
    /// </summary>
    public const string MessageRowsEnd = "a";

    public static string MessageRow(int messageIndex) =>
        messageIndex.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

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
    /// A kept copy of a queue message (for replay) in the Ingestions table: PK = ingestion id, RK = "m" + the message index
    /// (<see cref="MessageRow"/>), so the copies sort after the ingestion row and are written in the same entity-group
    /// transaction as its insert. Ingestions accepted before this layout kept theirs in IngestionMessages (RK = the index).
    /// </summary>
    public static string KeptMessageRow(int messageIndex) => KeptMessageRowPrefix + MessageRow(messageIndex);

    public const string KeptMessageRowPrefix = "m";

    /// <summary>The row key after every kept copy's ("n" follows "m").</summary>
    public const string KeptMessageRowsEnd = "n";

    /// <summary>IngestionMessages (before kept copies moved into the Ingestions partition): RK = the message index.</summary>
    public static string LegacyKeptMessageRow(int messageIndex) => MessageRow(messageIndex);
}
