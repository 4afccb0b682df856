using Twine.Functions.CalendarEvents;












namespace Twine.Functions.Ingestions;

/// <summary>An ingestion as stored in the Ingestions table: the aggregate over its messages.</summary>
public sealed record IngestionRecord
{
    public required string Id { get; init; }
    public required IngestionKind Kind { get; init; }
    public required IngestionStatus Status { get; init; }
    public int MetricsTotal { get; init; }
    public int MessagesTotal { get; init; }
    public int MessagesDone { get; init; }
    public int Created { get; init; }
    public int IgnoredDuplicates { get; init; }
    public int Superseded { get; init; }
    public int Failed { get; init; }
    public IReadOnlyList<string> TwineIds { get; init; } = [];
    public bool TwineIdsTruncated { get; init; }
    public IReadOnlyList<IngestionError> Errors { get; init; } = [];
    public bool ErrorsTruncated { get; init; }
    public string? FailureReason { get; init; }

    /// <summary>What the edge did with each entry of the partner's request (FHIR Bundles); empty for the JSON:API routes.</summary>
    public IReadOnlyList<EntryReport> Entries { get; init; } = [];
    public bool EntriesTruncated { get; init; }

    /// <summary>True when the failure was the edge failing to queue: a retry with the same Idempotency-Key may take it over.</summary>
    public bool FailedWhileReceiving { get; init; }

    public string? ExternalId { get; init; }
    public string? Operation { get; init; }
    public string? RequestHash { get; init; }
    public DateTimeOffset? ReceivingUntil { get; init; }

    /// <summary>True when processing moved the ingestion on from an abandoned <c>receiving</c> (the edge stopped before accepting).</summary>
    public bool RecoveredFromReceiving { get; init; }

    /// <summary>For a webhook-id that repeated another ingestion: that ingestion's id (<see cref="IngestionEntity.AliasOf"/>).</summary>
    public string? AliasOf { get; init; }

    /// <summary>While <see cref="IngestionStatus.Retrying"/>: the latest reschedule; null otherwise.</summary>
    public RetryInfo? Retry { get; init; }

    /// <summary>The signed request's partner (lower case) and webhook-id; null for a message enqueued directly.</summary>
    public string? Partner { get; init; }
    public string? WebhookId { get; init; }

    /// <summary>Replays so far (null: never replayed).</summary>
    public ReplayInfo? Replay { get; init; }

    /// <summary>Set while a replay is re-queueing (its lease); cleared when it is done.</summary>
    public DateTimeOffset? ReplayPendingUntil { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// A message waiting after a transient failure: the attempt number of the latest reschedule, the last error (Twine's
/// status and code, or what failed; never content), its req_id, when the next attempt runs, and how many of the
/// ingestion's messages are waiting.
/// </summary>
public sealed record RetryInfo(int Attempt, string LastError, string? LastErrorReqId, DateTimeOffset NextAttemptAt, int MessagesWaiting = 1);

/// <summary>Replays of an ingestion: how many, when the latest ran and which message indexes it re-queued (counted from 0).</summary>
public sealed record ReplayInfo(int Count, DateTimeOffset LastAt, IReadOnlyList<int> LastMessages);
