using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client.Errors;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Ingestions.Processing;
using Twine.Functions.Ingestions.Queues;

namespace Twine.Functions.Ingestions.Retries;

/// <summary>A message being processed, as the failure handling needs it.</summary>
/// <param name="Root">The whole message as parsed: a reschedule copies every member verbatim.</param>
/// <param name="MetricCount">Metrics in the message (1 for a calendar event).</param>
public sealed record ProcessingMessage(
    IngestionKind Kind,
    QueueClient Queue,
    string IngestionId,
    int MessageIndex,
    int MessageCount,
    int MetricCount,
    JsonElement Root,
    QueueRetryState? Retry);

/// <summary>A source of jitter samples in [0, 1): <see cref="Random.Shared"/> in the app, a seeded Random in tests.</summary>
public sealed class RetryJitter(Random random)
{
    private readonly Lock _gate = new();

    public double Next()
    {
        lock (_gate)
        {
            return random.NextDouble();
        }
    }
}

/// <summary>
/// What the processors do with a failure, by <see cref="ProcessingFailureClassifier"/>: a permanent one is recorded; a
/// transient one reschedules the message (same content, <c>attempt</c> + 1, <c>firstFailedAt</c> kept) with the
/// <see cref="RetrySchedule"/>'s delay and marks the ingestion <c>retrying</c>, until Processing:RetryFor has passed
/// since its first failure, when it is recorded as failed. The reschedule is sent before the caller returns, so the
/// host completes the original only after its successor is safely queued: a crash in between duplicates, never loses.
/// Host-retried and unclassified failures are rethrown; on the host's last attempt the exception type is recorded.
/// </summary>
public sealed partial class MessageRetries(
    IRetryQueue retryQueue,
    IngestionStore store,
    QueueFailureRecorder failures,
    TwineAvailability twine,
    RetryJitter jitter,
    IOptions<ProcessingOptions> options,
    TimeProvider timeProvider,
    ILogger<MessageRetries> logger)
{
    public const string GivenUpCode = "RetriesExhausted";
    public const string NotSerializableCode = "NotSerializable";
    public const string UnclassifiedCode = "ProcessingFailed";

    /// <summary>Throws <see cref="TwinePausedException"/> (transient) while Twine calls are paused on this instance.</summary>
    public void EnsureTwineAvailable()
    {
        if (!twine.TryEnter())
        {
            throw new TwinePausedException(twine.LastFailure);
        }
    }

    /// <summary>
    /// Handles a failure of <paramref name="message"/>. Returns normally when it was recorded or rescheduled (the host
    /// then completes the original); rethrows <paramref name="exception"/> when the host should retry.
    /// </summary>
    public async Task HandleAsync(ProcessingMessage message, Exception exception, long dequeueCount, CancellationToken cancellationToken)
    {
        switch (ProcessingFailureClassifier.Classify(exception))
        {
            case FailureClass.Permanent when exception is TwineApiException rejected:
                // A Twine 4xx from a call the processor does not record itself (e.g. the calendar search): Twine's errors.
                await store.RecordMessageOutcomeAsync(message.IngestionId, new MessageOutcome(message.Kind, message.MessageIndex, message.MessageCount,
                    message.MetricCount, 0, 0, message.MetricCount, [], TwineFailures.Errors(rejected), TwineFailures.Reason(rejected)), cancellationToken)
                    .ConfigureAwait(false);
                LogPermanent(message.IngestionId, message.MessageIndex, exception.GetType().Name);
                return;

            case FailureClass.Permanent:
                var reason = $"{QueueFailureRecorder.MessageName(message.MessageIndex, message.MessageCount)} could not be written for Twine ({exception.GetType().Name}); not retried.";
                await failures.RecordUndeliveredAsync(message.Kind, message.IngestionId, message.MessageIndex, message.MessageCount, message.MetricCount,
                    NotSerializableCode, reason, null, cancellationToken).ConfigureAwait(false);
                LogPermanent(message.IngestionId, message.MessageIndex, exception.GetType().Name);
                return;

            case FailureClass.Transient:
                if (await RescheduleAsync(message, exception, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                break;

            default:
                if (dequeueCount >= IngestionQueues.MaxDequeueCount && exception is not OperationCanceledException)
                {
                    await TryRecordLastAttemptAsync(message, exception, dequeueCount, cancellationToken).ConfigureAwait(false);
                }

                break;
        }

        ExceptionDispatchInfo.Throw(exception);
    }

    private async Task<bool> RescheduleAsync(ProcessingMessage message, Exception exception, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var firstFailedAt = message.Retry?.FirstFailedAt ?? now;
        var attempt = (message.Retry?.Attempt ?? 0) + 1;
        var error = ProcessingFailureClassifier.Describe(exception);
        var requestId = ProcessingFailureClassifier.RequestId(exception);
        var retryFor = options.Value.RetryFor;
        var holdOff = twine.HoldOff();
        var decision = attempt > QueueRetryFields.MaxAttempt
            ? RetryDecision.Stop
            : RetrySchedule.Next(attempt, now, firstFailedAt, retryFor, jitter.Next(), holdOff > TimeSpan.Zero ? holdOff : null);
        if (!decision.GiveUp && twine.IsRateLimited && holdOff > TimeSpan.Zero && holdOff < decision.Delay)
        {
            // Twine asked this client to slow down, not to stay away: back when it said, spread by up to half of it so the
            // messages do not all return in the same instant.
            var paced = holdOff + (holdOff * (0.5 * jitter.Next()));
            paced = paced < RetrySchedule.MinDelay ? RetrySchedule.MinDelay : paced;
            decision = new RetryDecision(false, paced, now + paced);
        }
        if (decision.GiveUp)
        {
            var reason = $"{QueueFailureRecorder.MessageName(message.MessageIndex, message.MessageCount)} was not delivered: it kept failing for " +
                $"{Format(now - firstFailedAt)} ({attempt} attempts; last error: {error}) and Processing:RetryFor is {Format(retryFor)}.";
            await failures.RecordUndeliveredAsync(message.Kind, message.IngestionId, message.MessageIndex, message.MessageCount, message.MetricCount,
                GivenUpCode, reason, requestId, cancellationToken).ConfigureAwait(false);
            LogGivenUp(message.IngestionId, message.MessageIndex, attempt, error, requestId);
            return true;
        }

        var json = QueueRetryFields.WithRetry(message.Root, attempt, firstFailedAt);
        if (QueueMessageLimits.EncodedLength(json.Length) > QueueMessageLimits.MaxEncodedBytes)
        {
            // A partner's message with no room for the retry members: the host's own retries (then poison) instead.
            LogTooLargeToReschedule(message.IngestionId, message.MessageIndex, json.Length);
            return false;
        }

        await retryQueue.SendAsync(message.Queue, json, decision.Delay, cancellationToken).ConfigureAwait(false);
        await store.MarkRetryingAsync(message.IngestionId, message.Kind, message.MessageIndex, message.MessageCount,
            new RetryInfo(attempt, error, requestId, decision.NextAttemptAt), cancellationToken).ConfigureAwait(false);
        LogRescheduled(message.IngestionId, message.MessageIndex, attempt, error, requestId, decision.Delay, decision.NextAttemptAt);
        return true;
    }

    private async Task TryRecordLastAttemptAsync(ProcessingMessage message, Exception exception, long dequeueCount, CancellationToken cancellationToken)
    {
        var reason = $"{QueueFailureRecorder.MessageName(message.MessageIndex, message.MessageCount)} failed {dequeueCount} times with " +
            $"{exception.GetType().Name} and is moved to the poison queue.";
        try
        {
            await failures.RecordUndeliveredAsync(message.Kind, message.IngestionId, message.MessageIndex, message.MessageCount, message.MetricCount,
                UnclassifiedCode, reason, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Storage may be what is failing: the poison handler still records the message (without the type).
            LogLastAttemptNotRecorded(message.IngestionId, message.MessageIndex, e.GetType().Name);
        }
    }

    private static string Format(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: message {MessageIndex}: {Error} (req_id {ReqId}); rescheduled as attempt {Attempt} in {Delay} (at {NextAttemptAt:O})")]
    private partial void LogRescheduled(string ingestionId, int messageIndex, int attempt, string error, string? reqId, TimeSpan delay, DateTimeOffset nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion {IngestionId}: message {MessageIndex}: given up after {Attempt} attempts; last error {Error} (req_id {ReqId}); recorded as failed")]
    private partial void LogGivenUp(string ingestionId, int messageIndex, int attempt, string error, string? reqId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion {IngestionId}: message {MessageIndex}: permanent failure {ExceptionType}; recorded as failed, not retried")]
    private partial void LogPermanent(string ingestionId, int messageIndex, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: message {MessageIndex}: {Bytes} bytes with the retry members is over the queue limit; left to the host's retries")]
    private partial void LogTooLargeToReschedule(string ingestionId, int messageIndex, int bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: message {MessageIndex}: last attempt's failure could not be recorded ({ExceptionType})")]
    private partial void LogLastAttemptNotRecorded(string ingestionId, int messageIndex, string exceptionType);

}
