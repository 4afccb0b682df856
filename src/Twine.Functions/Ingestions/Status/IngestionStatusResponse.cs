using Twine.Functions.CalendarEvents;












namespace Twine.Functions.Ingestions.Status;

/// <summary>The body of GET /api/ingestions/{id}.</summary>
public sealed record IngestionStatusResponse
{
    public required string IngestionId { get; init; }
    public required string Kind { get; init; }
    public required string Status { get; init; }
    public string? ExternalId { get; init; }
    public string? Operation { get; init; }
    public required IngestionCounts Counts { get; init; }
    public required IReadOnlyList<string> TwineIds { get; init; }
    public bool TwineIdsTruncated { get; init; }
    public required IReadOnlyList<IngestionError> Errors { get; init; }
    public bool ErrorsTruncated { get; init; }
    public string? FailureReason { get; init; }

    /// <summary>For a request made of entries (a FHIR Bundle): each entry delivered, skipped or refused; left out otherwise.</summary>
    public IReadOnlyList<EntryReport>? Entries { get; init; }
    public bool? EntriesTruncated { get; init; }

    /// <summary>Only while <c>retrying</c>: the latest reschedule (attempt, last Twine error, req_id, next attempt time, messages waiting).</summary>
    public RetryInfo? Retry { get; init; }

    /// <summary>The partner whose signature the request carried and its webhook-id (absent for a message a partner enqueued directly).</summary>
    public string? Partner { get; init; }
    public string? WebhookId { get; init; }

    /// <summary>Present once the ingestion was replayed: how many times, the latest replay's time, messages and outcome.</summary>
    public ReplayStatus? Replay { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <param name="Superseded">Calendar writes not applied because a newer write for the same externalId was (not a failure).</param>
public sealed record IngestionCounts(int MetricsTotal, int MessagesTotal, int MessagesDone, int Created, int IgnoredDuplicates, int Failed, int Superseded);

/// <param name="Outcome">The ingestion's status once the latest replay's messages are done; <c>inFlight</c> until then.</param>
public sealed record ReplayStatus(int Count, DateTimeOffset LastAt, IReadOnlyList<int> Messages, string Outcome);
