namespace Twine.Functions.Ingestion;

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
    public int Failed { get; init; }
    public IReadOnlyList<string> TwineIds { get; init; } = [];
    public bool TwineIdsTruncated { get; init; }
    public IReadOnlyList<TwineError> Errors { get; init; } = [];
    public bool ErrorsTruncated { get; init; }
    public string? FailureReason { get; init; }

    /// <summary>True when the failure was the edge failing to queue: a retry with the same Idempotency-Key may take it over.</summary>
    public bool FailedWhileReceiving { get; init; }

    public string? ExternalId { get; init; }
    public string? Operation { get; init; }
    public string? RequestHash { get; init; }
    public DateTimeOffset? ReceivingUntil { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}
