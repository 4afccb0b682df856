using System.Text.Json;
using System.Text.Json.Serialization;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions.Replay;
using Twine.Functions.Ingestions.Status;

namespace Twine.Functions.Ingestions.History;

/// <summary>One row of GET /api/ingestions: what the history index holds of an ingestion.</summary>
public sealed record HistoryItem
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public string? Partner { get; init; }
    public string? WebhookId { get; init; }
    public required string Status { get; init; }
    public required IngestionCounts Counts { get; init; }
    public string? FirstErrorCode { get; init; }
    public string? ExternalId { get; init; }
    public string? Operation { get; init; }
    public int ReplayCount { get; init; }
    public DateTimeOffset? LastReplayAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required string StatusUrl { get; init; }

    public static HistoryItem From(IngestionIndexEntity row) => new()
    {
        Id = row.IngestionId,
        Kind = row.Kind,
        Partner = row.Partner,
        WebhookId = row.WebhookId,
        Status = row.Status,
        Counts = new IngestionCounts(row.MetricsTotal, row.MessagesTotal, row.MessagesDone, row.Created, row.IgnoredDuplicates, row.Failed, row.Superseded),
        FirstErrorCode = row.FirstErrorCode,
        ExternalId = row.ExternalId,
        Operation = row.Operation,
        ReplayCount = row.ReplayCount,
        LastReplayAt = row.LastReplayAt,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        StatusUrl = IngestionAcceptor.StatusPathPrefix + row.IngestionId,
    };
}

/// <summary>The body of GET /api/ingestions: a page, newest first, and the token for the next one (absent on the last page).</summary>
public sealed record HistoryPage(IReadOnlyList<HistoryItem> Items, string? ContinuationToken, DateTimeOffset From, DateTimeOffset To);

/// <summary>One day of GET /api/ingestions/summary: counts by status (every visible status, zeros included).</summary>
public sealed record SummaryDay(string Day, int Total, IReadOnlyDictionary<string, int> Counts);

/// <summary>The body of GET /api/ingestions/summary: the last 14 UTC days, oldest first.</summary>
public sealed record HistorySummary(IReadOnlyList<SummaryDay> Days);

/// <summary>Source-generated JSON of the history documents (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HistoryPage))]
[JsonSerializable(typeof(HistorySummary))]
[JsonSerializable(typeof(TokenDocument))]
[JsonSerializable(typeof(Replay.ReplayResponse))]
[JsonSerializable(typeof(Replay.BulkReplayResponse))]
public sealed partial class HistoryJsonContext : JsonSerializerContext;
