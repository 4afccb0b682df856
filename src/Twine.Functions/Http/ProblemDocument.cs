namespace Twine.Functions.Http;

/// <summary>An RFC 9457 problem details document with the app's extension members (errors, ingestionId).</summary>
public sealed class ProblemDocument
{
    public required string Type { get; init; }
    public required string Title { get; init; }
    public required int Status { get; init; }
    public string? Detail { get; init; }
    public string? Instance { get; init; }

    /// <summary>Extension member: every problem found, each with a pointer to the offending field.</summary>
    public IReadOnlyList<ProblemError>? Errors { get; init; }

    /// <summary>Extension member: the ingestion a problem is about, when there is one.</summary>
    public string? IngestionId { get; init; }
}
