namespace Twine.Functions.Ingestions;

/// <summary>
/// Where an ingestion is. <see cref="Receiving"/> is internal: the HTTP edge has recorded the ingestion but not yet
/// queued all its messages, so it is not visible as accepted (GET answers 404 for it).
/// </summary>
public enum IngestionStatus
{
    Receiving,
    Accepted,
    Processing,

    /// <summary>At least one message met a transient failure and is rescheduled (see <see cref="IngestionRecord.Retry"/>).</summary>
    Retrying,
    Succeeded,
    PartlySucceeded,
    Failed,
}

public enum IngestionKind
{
    Metrics,
    CalendarEvent,
}

/// <summary>The wire names (camelCase) used in tables, queue messages and the status endpoint.</summary>
public static class IngestionNames
{
    public static string ToWire(this IngestionStatus status) => status switch
    {
        IngestionStatus.Receiving => "receiving",
        IngestionStatus.Accepted => "accepted",
        IngestionStatus.Processing => "processing",
        IngestionStatus.Retrying => "retrying",
        IngestionStatus.Succeeded => "succeeded",
        IngestionStatus.PartlySucceeded => "partlySucceeded",
        IngestionStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static IngestionStatus ParseStatus(string? value) => value switch
    {
        "receiving" => IngestionStatus.Receiving,
        "accepted" => IngestionStatus.Accepted,
        "processing" => IngestionStatus.Processing,
        "retrying" => IngestionStatus.Retrying,
        "succeeded" => IngestionStatus.Succeeded,
        "partlySucceeded" => IngestionStatus.PartlySucceeded,
        "failed" => IngestionStatus.Failed,
        _ => throw new FormatException($"Unknown ingestion status '{value}'."),
    };

    public static string ToWire(this IngestionKind kind) => kind switch
    {
        IngestionKind.Metrics => "metrics",
        IngestionKind.CalendarEvent => "calendarEvent",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static IngestionKind ParseKind(string? value) => value switch
    {
        "metrics" => IngestionKind.Metrics,
        "calendarEvent" => IngestionKind.CalendarEvent,
        _ => throw new FormatException($"Unknown ingestion kind '{value}'."),
    };
}
