using Azure;
using Azure.Data.Tables;

namespace Twine.Functions.Platform.Polling;

/// <summary>
/// A row of PollCheckpoints (PK = stream name, e.g. <c>calendar_event</c> or <c>email_history.sender.{coachId}</c>;
/// RK = "checkpoint"). <see cref="Watermark"/> says everything up to it is stored; the Resume* columns describe a catch-up
/// that a run started and stopped early (time budget, rate limit), so the next run continues it instead of starting over.
/// </summary>
public sealed class PollCheckpoint : ITableEntity
{
    public const string Row = "checkpoint";

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = Row;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    /// <summary>
    /// Email history: the newest send_time of the last completed catch-up (everything sent up to it is stored).
    /// Calendar events: the upper bound of the last completed updated_at range.
    /// </summary>
    public DateTimeOffset? Watermark { get; set; }

    /// <summary>The lower bound of the unfinished catch-up (email: stop paging below it; calendar: updated_at from).</summary>
    public DateTimeOffset? ResumeFrom { get; set; }

    /// <summary>The upper bound of the unfinished catch-up; it becomes the watermark when the catch-up completes.</summary>
    public DateTimeOffset? ResumeUntil { get; set; }

    /// <summary>Where to continue: the next page number (email history) or the cursor, the last stored event id (calendar).</summary>
    public string? ResumePosition { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public bool HasResume => ResumeUntil is not null && ResumePosition is not null;

    public PollCheckpoint Clone() => (PollCheckpoint)MemberwiseClone();
}
