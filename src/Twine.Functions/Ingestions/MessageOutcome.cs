namespace Twine.Functions.Ingestions;

/// <summary>
/// What processing one queue message achieved. Recorded once per (ingestion, message index); recording it again
/// (a message delivered twice) changes nothing.
/// </summary>
/// <param name="MessageCount">How many messages the ingestion has, from the message itself: lets an ingestion that
/// was enqueued directly by a partner (no row from the HTTP edge) be recorded too.</param>
/// <param name="Created">Resources Twine created (or, for calendar events, created, updated or deleted).</param>
/// <param name="Superseded">Calendar writes not sent to Twine because a newer write for the same externalId was applied
/// first (docs/PROCESSING.md, ordering): a documented outcome, not a failure.</param>
/// <param name="ReasonIfFailed">Why the message failed as a whole (permanent Twine rejection, malformed message, poison).</param>
public sealed record MessageOutcome(
    IngestionKind Kind,
    int MessageIndex,
    int MessageCount,
    int MetricCount,
    int Created,
    int IgnoredDuplicates,
    int Failed,
    IReadOnlyList<string> TwineIds,
    IReadOnlyList<IngestionError> Errors,
    string? ReasonIfFailed = null,
    int Superseded = 0);
