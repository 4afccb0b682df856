using Microsoft.Extensions.Logging;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Failures;

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
        var envelope = QueueMessageReader.PeekEnvelope(messageText);
        if (envelope.IngestionId is not { } id)
        {
            LogUnattributable(kind.ToWire(), problems.Count);
            return false;
        }

        var reason = $"The queue message breaks the version-1 contract ({problems.Count} problems); it was not retried.";
        var (index, count) = kind == IngestionKind.CalendarEvent ? (0, 1) : (envelope.MessageIndex, envelope.MessageCount);
        if (index is { } i && count is { } n)
        {
            var errors = problems.Take(Problems.MaxErrorsListed).Select(p => new IngestionError(MalformedCode, p.Detail, p.Pointer, null)).ToList();
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

    public const string PoisonCode = "PoisonMessage";

    /// <summary>
    /// A poison message: recorded like a message processing gave up on (<see cref="RecordUndeliveredAsync"/>), with the
    /// reason "Message 2 of 3 failed 5 times and was moved to twine-metrics-poison." (1-based, as in the docs).
    /// False when it names no ingestion.
    /// </summary>
    public async Task<bool> RecordPoisonAsync(IngestionKind kind, string poisonQueueName, string? messageText, long dequeueCount, CancellationToken cancellationToken)
    {
        var envelope = QueueMessageReader.PeekEnvelope(messageText);
        if (envelope.IngestionId is not { } id)
        {
            LogUnattributable(kind.ToWire(), 0);
            return false;
        }

        var (index, count) = kind == IngestionKind.CalendarEvent ? (0, 1) : (envelope.MessageIndex, envelope.MessageCount);
        var which = index is { } i && count is { } n ? MessageName(i, n) : "A message";
        var reason = $"{which} failed {dequeueCount} times and was moved to {poisonQueueName}.";
        await RecordUndeliveredAsync(kind, id, index, count, kind == IngestionKind.Metrics ? envelope.MetricCount : 1, PoisonCode, reason, null, cancellationToken)
            .ConfigureAwait(false);
        LogPoison(id, index, dequeueCount);
        return true;
    }

    /// <summary>
    /// A message that will not be delivered (moved to poison, or given up after retrying for Processing:RetryFor, or
    /// failing with an unclassified exception on its last attempt): one shape for all. When its index is known it is
    /// recorded as that message's failed outcome with one error (<paramref name="code"/>, the reason, Twine's req_id);
    /// the ingestion's status then follows from all its messages. Otherwise the whole ingestion is marked failed.
    /// </summary>
    public async Task RecordUndeliveredAsync(IngestionKind kind, string ingestionId, int? messageIndex, int? messageCount, int metricCount,
        string code, string reason, string? requestId, CancellationToken cancellationToken)
    {
        if (messageIndex is { } i && messageCount is { } n)
        {
            await store.RecordMessageOutcomeAsync(ingestionId, new MessageOutcome(kind, i, n, metricCount, 0, 0, metricCount, [],
                [new IngestionError(code, reason, null, requestId)], reason), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await store.MarkFailedAsync(ingestionId, reason, cancellationToken, kind, messageCount ?? 1).ConfigureAwait(false);
        }
    }

    /// <summary>How reasons name a message: 1-based, "Message 2 of 3".</summary>
    public static string MessageName(int messageIndex, int messageCount) => $"Message {messageIndex + 1} of {messageCount}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: malformed queue message (index {MessageIndex}, {ProblemCount} problems) recorded as failed")]
    private partial void LogMalformed(string ingestionId, int? messageIndex, int problemCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion {IngestionId}: message {MessageIndex} moved to poison after {DequeueCount} attempts; ingestion marked failed")]
    private partial void LogPoison(string ingestionId, int? messageIndex, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Kind} queue message names no valid ingestion ({ProblemCount} problems); nothing to record it against")]
    private partial void LogUnattributable(string kind, int problemCount);
}
