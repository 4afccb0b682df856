using System.Text.Json;
using Microsoft.Extensions.Logging;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Serialization;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Ingestions.Processing;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Ingestions.Retries;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Metrics;

/// <summary>
/// One metrics queue message: validate it as strictly as the HTTP edge, bulk-create its metrics in Twine with
/// <c>ignore_duplicates</c>, record the outcome. A failure goes to <see cref="MessageRetries"/>: transient ones (429,
/// 5xx, timeouts, credentials unreadable, Twine paused on this instance) reschedule the message with back-off until
/// Processing:RetryFor; Twine's rejections (4xx), malformed and unserialisable messages are recorded and not retried;
/// storage errors are thrown for the host. Safe to run twice for one message: Twine skips the repeated metrics and the
/// outcome row for the message index is written once.
/// </summary>
public sealed partial class MetricsMessageProcessor(
    ITwineClient twine,
    IngestionStore store,
    IngestionQueues queues,
    QueueFailureRecorder failures,
    MessageRetries retries,
    UnattributedMessages unattributed,
    TimeProvider timeProvider,
    ILogger<MetricsMessageProcessor> logger)
{
    public Task ProcessAsync(string messageText, long dequeueCount, CancellationToken cancellationToken) =>
        ProcessAsync(messageText, dequeueCount, null, cancellationToken);

    public async Task ProcessAsync(string messageText, long dequeueCount, string? messageId, CancellationToken cancellationToken)
    {
        var parsed = MetricsMessageParser.Parse(messageText, timeProvider.GetUtcNow());
        if (parsed.Message is not { } message)
        {
            if (!await failures.RecordMalformedAsync(IngestionKind.Metrics, messageText, parsed.Errors, cancellationToken).ConfigureAwait(false))
            {
                await unattributed.ParkAsync(IngestionKind.Metrics, messageText, messageId, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        using var scope = ProcessingLogScope.Begin(logger, message.IngestionId, message.MessageIndex, dequeueCount);
        var processing = new ProcessingMessage(IngestionKind.Metrics, queues.Metrics, message.IngestionId, message.MessageIndex,
            message.MessageCount, message.Metrics.Count, message.Root, message.Retry);
        try
        {
            await DeliverAsync(message, processing, messageText, dequeueCount, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await retries.HandleAsync(processing, e, dequeueCount, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(MetricsQueueMessage message, ProcessingMessage processing, string messageText, long dequeueCount,
        CancellationToken cancellationToken)
    {
        // Storage calls per message: this one query (the ingestion row, its outcomes and this message's kept copy), then one
        // transaction writing the outcome with the aggregate, and the history index only when the status changes.
        var snapshot = await store.ReadSnapshotAsync(message.IngestionId, cancellationToken, message.MessageIndex).ConfigureAwait(false);
        if (snapshot.StrayReason(message.Root) is { } stray)
        {
            LogStray(message.IngestionId, message.MessageIndex, stray); // nothing is sent to Twine or recorded: the ingestion's own message is elsewhere
            return;
        }

        if (snapshot.Result(message.MessageIndex) is { } recorded)
        {
            // Delivered again after its outcome was recorded: Twine is not called again (and nothing is written unless
            // the aggregate somehow lags the outcome).
            LogAlreadyRecorded(message.IngestionId, message.MessageIndex);
            await RecordAsync(processing, Outcome(message, recorded), snapshot, cancellationToken).ConfigureAwait(false);
            return;
        }

        var problems = new List<ProblemError>();
        if (ToResources(message, problems) is not { } resources)
        {
            await failures.RecordMalformedAsync(IngestionKind.Metrics, messageText, problems, cancellationToken).ConfigureAwait(false);
            return;
        }

        retries.EnsureTwineAvailable();
        LogSending(message.IngestionId, message.MessageIndex, message.MessageCount, resources.Count, dequeueCount);

        MessageOutcome outcome;
        try
        {
            var created = await twine.CreatePatientHealthMetricAsync(resources, ignoreDuplicates: true, cancellationToken).ConfigureAwait(false);
            var ids = created.Data.Where(m => m.Id is not null).Select(m => m.Id!).ToList();
            var ignored = created.Meta?.Ignored?.Count ?? 0;
            outcome = new MessageOutcome(IngestionKind.Metrics, message.MessageIndex, message.MessageCount, resources.Count,
                ids.Count, ignored, 0, ids, []);
            LogCreated(message.IngestionId, message.MessageIndex, ids.Count, ignored, created.Meta?.ReqId);
        }
        catch (TwineApiException e) when (TwineFailures.IsPermanent(e))
        {
            // Twine validates the whole request and writes nothing when one metric fails: the message failed as a whole.
            outcome = new MessageOutcome(IngestionKind.Metrics, message.MessageIndex, message.MessageCount, resources.Count,
                0, 0, resources.Count, [], TwineFailures.Errors(e), TwineFailures.Reason(e));
            LogRejected(message.IngestionId, message.MessageIndex, TwineFailures.Status(e), e.ErrorCode, e.RequestId);
        }

        await RecordAsync(processing, outcome, snapshot, cancellationToken).ConfigureAwait(false);
        LogRecorded(message.IngestionId, message.MessageIndex, outcome.Created, outcome.IgnoredDuplicates, outcome.Failed);
    }

    /// <remarks>An ingestion the edge has not marked accepted yet is moved on by the outcome itself (the message proves it was queued).</remarks>
    private Task RecordAsync(ProcessingMessage processing, MessageOutcome outcome, IngestionSnapshot snapshot, CancellationToken cancellationToken) =>
        store.RecordMessageOutcomeAsync(processing.IngestionId, outcome, cancellationToken, snapshot);

    /// <summary>
    /// The metrics as the client's models, each checked to be writable as Twine's JSON (a number such as 1e400 parses
    /// but reads as infinity, which JSON cannot carry); null with a problem per metric when one cannot be read or written.
    /// </summary>
    private static List<PatientHealthMetricResource>? ToResources(MetricsQueueMessage message, List<ProblemError> problems)
    {
        var resources = new List<PatientHealthMetricResource>(message.Metrics.Count);
        for (var i = 0; i < message.Metrics.Count; i++)
        {
            try
            {
                if (message.Metrics[i].Deserialize(TwineJsonContext.Default.PatientHealthMetricResource) is not { } resource)
                {
                    problems.Add(ProblemError.AtPointer($"/data/{i}", "The metric could not be read as a patient_health_metric resource."));
                    continue;
                }

                _ = JsonSerializer.SerializeToUtf8Bytes(resource, TwineJsonContext.Default.PatientHealthMetricResource);
                resources.Add(resource);
            }
            catch (Exception e) when (ProcessingFailureClassifier.Classify(e) == FailureClass.Permanent)
            {
                problems.Add(ProblemError.AtPointer($"/data/{i}", $"The metric cannot be sent to Twine as JSON ({e.GetType().Name}: e.g. a number out of range)."));
            }
        }

        return problems.Count == 0 ? resources : null;
    }

    private static MessageOutcome Outcome(MetricsQueueMessage message, IngestionResultEntity row) =>
        new(IngestionKind.Metrics, message.MessageIndex, message.MessageCount, row.MetricCount, row.Created, row.IgnoredDuplicates, row.Failed,
            [], [], row.ReasonIfFailed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: message {MessageIndex} of {MessageCount}: sending {MetricCount} metrics to Twine (attempt {DequeueCount})")]
    private partial void LogSending(string ingestionId, int messageIndex, int messageCount, int metricCount, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: message {MessageIndex}: Twine created {Created} metrics, ignored {Ignored} duplicates (req_id {ReqId})")]
    private partial void LogCreated(string ingestionId, int messageIndex, int created, int ignored, string? reqId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: message {MessageIndex}: Twine refused the metrics: {StatusCode} {ErrorCode} (req_id {ReqId}); recorded, not retried")]
    private partial void LogRejected(string ingestionId, int messageIndex, int statusCode, string? errorCode, string? reqId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: message {MessageIndex} recorded: {Created} created, {Ignored} ignored, {Failed} failed")]
    private partial void LogRecorded(string ingestionId, int messageIndex, int created, int ignored, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId}: message {MessageIndex} was already recorded; Twine not called again")]
    private partial void LogAlreadyRecorded(string ingestionId, int messageIndex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageIndex} of ingestion {IngestionId} dropped: {Reason}")]
    private partial void LogStray(string ingestionId, int messageIndex, string reason);
}
