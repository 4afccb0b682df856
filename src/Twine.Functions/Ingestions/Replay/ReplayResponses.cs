namespace Twine.Functions.Ingestions.Replay;

/// <summary>
/// The body of a replay of one ingestion (202; 200 for a dry run): the message indexes queued again (counted from 0),
/// those that failed but were not kept, and the ingestion's status right after.
/// </summary>
public sealed record ReplayResponse(string IngestionId, string StatusUrl, bool DryRun, IReadOnlyList<int> Messages, IReadOnlyList<int> NotKept, string? Status);

/// <summary>An ingestion bulk replay left alone, and why (<c>inFlight</c>, <c>nothingToReplay</c>, <c>notKept</c>, <c>notFound</c>).</summary>
public sealed record ReplaySkipped(string IngestionId, string Reason);

/// <summary>
/// The body of POST /api/ingestions/replay: what was (or, in a dry run, would be) queued again among the ingestions
/// examined, what was skipped, and the token to examine the next ones (absent when the range is done).
/// </summary>
public sealed record BulkReplayResponse(bool DryRun, int Examined, int MessagesQueued, IReadOnlyList<ReplayResponse> Replayed,
    IReadOnlyList<ReplaySkipped> Skipped, string? ContinuationToken);
