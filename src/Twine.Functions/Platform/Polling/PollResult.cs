namespace Twine.Functions.Platform.Polling;

/// <summary>How one stream's part of a run ended.</summary>
public enum StreamOutcome
{
    /// <summary>Caught up: the watermark moved (or nothing new).</summary>
    CaughtUp,

    /// <summary>The time budget ran out; progress saved, the next run continues.</summary>
    BudgetSpent,

    /// <summary>Twine rate-limited or failed transiently after the client's retries; progress saved, the next run continues.</summary>
    TwineUnavailable,

    /// <summary>A setting or secret the stream needs cannot be read (e.g. the email hash key): nothing polled, the health check says which.</summary>
    NotConfigured,

    /// <summary>Twine refused the query (e.g. an unknown sender); nothing stored for this stream, logged as an error.</summary>
    Refused,
}

/// <summary>What a stream did in one run: for logs, tests and the benchmark.</summary>
/// <param name="RowsWritten">Rows upserted into the resource's table.</param>
/// <param name="StorageRequests">Table requests those writes took (an entity-group transaction is one request).</param>
public sealed record StreamResult(string Stream, StreamOutcome Outcome, int Pages, int RowsWritten, int StorageRequests);

/// <summary>What one run did.</summary>
public sealed record PollResult(IReadOnlyList<StreamResult> Streams)
{
    public int RowsWritten => Streams.Sum(s => s.RowsWritten);
    public int StorageRequests => Streams.Sum(s => s.StorageRequests);
    public int Pages => Streams.Sum(s => s.Pages);
    public bool CaughtUp => Streams.All(s => s.Outcome == StreamOutcome.CaughtUp);
}
