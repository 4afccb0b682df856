using Microsoft.Extensions.Logging;
using Twine.Functions.Http;
using Twine.Functions.Queues;

namespace Twine.Functions.Ingestion.Failures;

/// <summary>
/// Records the two failures the queue functions do not retry: a message that breaks the version-1 contract
/// (recorded at once as that message's failed outcome) and a message the host moved to <c>&lt;queue&gt;-poison</c>
/// after its last attempt (the ingestion is marked failed with the reason). Reasons and logs carry ids, indexes and
/// counts only, never the message's content.
/// </summary>
public sealed partial class QueueFailureRecorder(IngestionStore store, ILogger<QueueFailureRecorder> logger)
{
    public const string MalformedCode = "InvalidQueueMessage";

    /// <summary>
    /// A malformed message. If it names its ingestion and (for metrics) its index, its outcome is recorded as failed
    /// with each problem as an error; if it names only its ingestion, the ingestion is marked failed. False when it
    /// names no ingestion: there is nothing to record it against (it is logged).
    /// </summary>
    public async Task<bool> RecordMalformedAsync(IngestionKind kind, string? messageText, IReadOnlyList<ProblemError> problems, CancellationToken cancellationToken)
    {
        var envelope = QueueMessageParser.PeekEnvelope(messageText);
        if (envelope.IngestionId is not { } id)
        {
            LogUnattributable(kind.ToWire(), problems.Count);
            return false;
        }

        var reason = $"The queue message breaks the version-1 contract ({problems.Count} problems); it was not retried.";
        var (index, count) = kind == IngestionKind.CalendarEvent ? (0, 1) : (envelope.MessageIndex, envelope.MessageCount);
        if (index is { } i && count is { } n)
        {
            var errors = problems.Take(Problems.MaxErrorsListed).Select(p => new TwineError(MalformedCode, p.Detail, p.Pointer, null)).ToList();
            var metrics = kind == IngestionKind.Metrics ? envelope.MetricCount : 1;
            await store.RecordMessageOutcomeAsync(id, new MessageOutcome(kind, i, n, metrics, 0, 0, metrics, [], errors, reason), cancellationToken)
                .ConfigureAwait(false);
        }
        else
        {
            await store.MarkFailedAsync(id, reason, cancellationToken, kind).ConfigureAwait(false);
        }

        LogMalformed(id, index, problems.Count);
        return true;
    }

    /// <summary>A poison message: the ingestion it names is marked failed with the reason. False when it names none.</summary>
    public async Task<bool> RecordPoisonAsync(IngestionKind kind, string poisonQueueName, string? messageText, long dequeueCount, CancellationToken cancellationToken)
    {
        var envelope = QueueMessageParser.PeekEnvelope(messageText);
        if (envelope.IngestionId is not { } id)
        {
            LogUnattributable(kind.ToWire(), 0);
            return false;
        }

        var which = envelope.MessageIndex is { } index ? $"Message {index}" : "A message";
        var reason = $"{which} failed {dequeueCount} times and was moved to {poisonQueueName}.";
        await store.MarkFailedAsync(id, reason, cancellationToken, kind, envelope.MessageCount ?? 1).ConfigureAwait(false);
        LogPoison(id, envelope.MessageIndex, dequeueCount);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: malformed queue message (index {MessageIndex}, {ProblemCount} problems) recorded as failed")]
    private partial void LogMalformed(string ingestionId, int? messageIndex, int problemCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion {IngestionId}: message {MessageIndex} moved to poison after {DequeueCount} attempts; ingestion marked failed")]
    private partial void LogPoison(string ingestionId, int? messageIndex, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Kind} queue message names no valid ingestion ({ProblemCount} problems); nothing to record it against")]
    private partial void LogUnattributable(string kind, int problemCount);
}
