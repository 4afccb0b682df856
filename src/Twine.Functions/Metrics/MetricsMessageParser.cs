using System.Text.Json;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Metrics;

/// <summary>Reads a version-1 metrics queue message (the envelope through <see cref="QueueMessageReader"/>, then its metrics).</summary>
public static class MetricsMessageParser
{
    private static readonly string[] MetricsMembers =
        ["version", "ingestionId", "messageIndex", "messageCount", "data", QueueRetryFields.Attempt, QueueRetryFields.FirstFailedAt];

    /// <param name="now">The time <c>firstFailedAt</c> must not be after; null skips that one check (contract tests without a clock).</param>
    public static QueueMessageParseResult<MetricsQueueMessage> Parse(string text, DateTimeOffset? now = null)
    {
        var errors = new List<ProblemError>();
        if (!QueueMessageReader.TryParse(text, errors, out var root))
        {
            // Still named after its ingestion when the envelope can be read, so that the failure is recorded against it.
            return new(null, QueueMessageReader.PeekEnvelope(text).IngestionId, errors);
        }

        var ingestionId = QueueMessageReader.ReadEnvelope(root, MetricsMembers, errors);
        var retry = QueueMessageReader.ReadRetry(root, now, errors);
        var index = QueueMessageReader.ReadInt(root, "messageIndex", 0, QueueMessageLimits.MaxMessagesPerIngestion - 1, errors);
        var count = QueueMessageReader.ReadInt(root, "messageCount", 1, QueueMessageLimits.MaxMessagesPerIngestion, errors);
        if (index is { } i && count is { } c && i >= c)
        {
            errors.Add(ProblemError.AtPointer("/messageIndex", "'messageIndex' must be less than 'messageCount'."));
        }

        var metrics = new List<JsonElement>();
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            errors.Add(ProblemError.AtPointer("/data", "'data' must be an array of patient_health_metric resources."));
        }
        else
        {
            var n = data.GetArrayLength();
            if (n is 0 or > QueueMessageLimits.MaxMetricsPerMessage)
            {
                errors.Add(ProblemError.AtPointer("/data", $"'data' must hold 1 to {QueueMessageLimits.MaxMetricsPerMessage} metrics."));
            }

            var k = 0;
            foreach (var metric in data.EnumerateArray())
            {
                MetricResourceValidator.Validate(metric, $"/data/{k++}", errors);
                metrics.Add(metric);
            }
        }

        return errors.Count > 0
            ? new(null, ingestionId, errors)
            : new(new MetricsQueueMessage(ingestionId!, index!.Value, count!.Value, metrics) { Retry = retry, Root = root }, ingestionId, errors);
    }

}

/// <param name="Metrics">The patient_health_metric resources as the partner sent them.</param>
public sealed record MetricsQueueMessage(string IngestionId, int MessageIndex, int MessageCount, IReadOnlyList<JsonElement> Metrics)
{
    /// <summary>Present when the message was rescheduled after a transient failure.</summary>
    public QueueRetryState? Retry { get; init; }

    /// <summary>The whole message as parsed: a reschedule copies it verbatim.</summary>
    public JsonElement Root { get; init; }
}

