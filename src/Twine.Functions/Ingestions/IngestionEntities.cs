using Azure;
using Azure.Data.Tables;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>A row of the Ingestions table (PK = ingestion id, RK = <c>i_</c> + the id, or <c>ingestion</c> in partitions written before).</summary>
public sealed class IngestionEntity : ITableEntity
{
    private string? _rowKey;

    public string PartitionKey { get; set; } = "";

    /// <summary>As read; for a new row, the key its partition's layout gives (<see cref="IngestionPartitionKeys"/>).</summary>
    public string RowKey
    {
        get => _rowKey ?? IngestionPartitionKeys.For(PartitionKey).Row;
        set => _rowKey = value;
    }

    /// <summary>The keys of this ingestion's partition, in the layout its row was written with.</summary>
    [System.Runtime.Serialization.IgnoreDataMember]
    public IngestionPartitionKeys Keys => IngestionPartitionKeys.OfRow(PartitionKey, RowKey);

    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Kind { get; set; } = "";
    public string Status { get; set; } = "";
    public int MetricsTotal { get; set; }
    public int MessagesTotal { get; set; }
    public int MessagesDone { get; set; }
    public int Created { get; set; }
    public int IgnoredDuplicates { get; set; }
    public int Superseded { get; set; }
    public int Failed { get; set; }

    /// <summary>JSON array of Twine ids, cut to fit one property (64 KiB); see <see cref="TwineIdsTruncated"/>.</summary>
    public string? TwineIdsJson { get; set; }
    public bool TwineIdsTruncated { get; set; }

    /// <summary>JSON array of Twine errors, cut to fit one property; see <see cref="ErrorsTruncated"/>.</summary>
    public string? ErrorsJson { get; set; }
    public bool ErrorsTruncated { get; set; }

    /// <summary>JSON array of <see cref="EntryReport"/>s (a FHIR Bundle's entries), cut to fit one property; written once, by the edge.</summary>
    public string? EntriesJson { get; set; }
    public bool EntriesTruncated { get; set; }

    public string? FailureReason { get; set; }
    public bool FailedWhileReceiving { get; set; }
    public string? ExternalId { get; set; }
    public string? Operation { get; set; }
    public string? RequestHash { get; set; }
    public DateTimeOffset? ReceivingUntil { get; set; }

    /// <summary>True when processing found the ingestion still <c>receiving</c> and moved it forward (the edge confirms it later, or a retry may take it over).</summary>
    public bool RecoveredFromReceiving { get; set; }

    /// <summary>
    /// Set on the row of a webhook-id whose request turned out to repeat an earlier ingestion (same Idempotency-Key, same
    /// body): the ingestion this webhook-id answers with. Such a row has no messages and is never listed.
    /// </summary>
    public string? AliasOf { get; set; }

    /// <summary>JSON array of the indexes of messages rescheduled after a transient failure and not done yet.</summary>
    public string? RetryingJson { get; set; }

    /// <summary>The latest reschedule: its attempt number, the Twine error (status and code only), its req_id and when it runs.</summary>
    public int? RetryAttempt { get; set; }
    public string? RetryLastError { get; set; }
    public string? RetryLastReqId { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The partner whose signature the request carried (lower case), and its signed webhook-id; null for a message enqueued directly.</summary>
    public string? Partner { get; set; }
    public string? WebhookId { get; set; }

    /// <summary>The IngestionKeys partitions this ingestion claimed (webhook-id, Idempotency-Key), for retention to delete.</summary>
    public string? WebhookIdKeyHash { get; set; }
    public string? IdempotencyKeyHash { get; set; }

    /// <summary>Incremented by every replace of the row (ETag-conditional, so strictly increasing): the history index keeps the newest.</summary>
    public long Revision { get; set; }

    /// <summary>Replays (POST /api/ingestions/{id}/replay): how many, the latest one's time and the message indexes it re-queued.</summary>
    public int ReplayCount { get; set; }
    public DateTimeOffset? LastReplayAt { get; set; }
    public string? LastReplayMessagesJson { get; set; }

    /// <summary>A replay that has claimed the ingestion and not finished re-queueing (crash-safe: a later replay completes it after the lease).</summary>
    public DateTimeOffset? ReplayPendingUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A message's outcome, written once, beside its ingestion's row in the Ingestions table (PK = ingestion id, RK = message
/// index and id, <c>00000_{id}</c>: <see cref="IngestionPartitionKeys.Outcome"/>): one partition, so the outcome and the ingestion's aggregate are written in one entity-group transaction.
/// </summary>
public sealed class IngestionResultEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public int MessageIndex { get; set; }
    public int MetricCount { get; set; }
    public int Created { get; set; }
    public int IgnoredDuplicates { get; set; }
    public int Superseded { get; set; }
    public int Failed { get; set; }
    public string? TwineIdsJson { get; set; }
    public bool TwineIdsTruncated { get; set; }
    public string? ErrorsJson { get; set; }
    public bool ErrorsTruncated { get; set; }
    public string? ReasonIfFailed { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>A row of IngestionKeys (PK = SHA-256 of the Idempotency-Key, RK = <c>key_</c> + the same hash, or <c>key</c> for claims made before).</summary>
public sealed class IdempotencyKeyEntity : ITableEntity
{
    private string? _rowKey;

    public string PartitionKey { get; set; } = "";

    public string RowKey
    {
        get => _rowKey ?? TableKeys.IdempotencyKeyRow(PartitionKey);
        set => _rowKey = value;
    }

    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string IngestionId { get; set; } = "";
    public string RequestHash { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A row of IngestionMessages (PK = ingestion id, RK = message index "00000"): the queue message as the edge wrote it, kept for replay.</summary>
public sealed class KeptMessageEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    /// <summary>Which queue: <c>metrics</c> or <c>calendarEvent</c> (the ingestion kind's wire name).</summary>
    public string Kind { get; set; } = "";

    /// <summary>The message's UTF-8 JSON (at most 49,152 bytes: a binary property holds 64 KiB).</summary>
    public byte[] Body { get; set; } = [];
}
