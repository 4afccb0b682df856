using System.Text.Json;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>
/// An ingestion row's aggregate (counts, Twine ids, errors, waiting messages, status), recomputed from all of its
/// result rows, so that a repeated delivery leaves the row as one delivery would.
/// </summary>
internal static class IngestionAggregate
{
    /// <summary>Everything <see cref="Apply"/> sets, to tell whether a recompute changed the row.</summary>
    public static string Fingerprint(IngestionEntity e) =>
        string.Join("\u001f", e.Status, e.Created, e.IgnoredDuplicates, e.Superseded, e.Failed, e.MessagesDone, e.MetricsTotal,
            e.TwineIdsJson, e.TwineIdsTruncated, e.ErrorsJson, e.ErrorsTruncated, e.RetryingJson, e.RetryAttempt, e.NextAttemptAt,
            e.ReceivingUntil, e.RecoveredFromReceiving);

    public static void Apply(IngestionEntity entity, IReadOnlyList<IngestionResultEntity> results)
    {
        var ids = new List<string>();
        var errors = new List<IngestionError>();
        var idsTruncated = false;
        var errorsTruncated = false;
        int created = 0, ignored = 0, superseded = 0, failed = 0, metrics = 0, failedMessages = 0;
        foreach (var r in results)
        {
            created += r.Created;
            ignored += r.IgnoredDuplicates;
            superseded += r.Superseded;
            failed += r.Failed;
            metrics += r.MetricCount;
            failedMessages += r.ReasonIfFailed is null ? 0 : 1;
            ids.AddRange(JsonPropertyLimit.Deserialize(r.TwineIdsJson, IngestionJsonContext.Default.ListString));
            errors.AddRange(JsonPropertyLimit.Deserialize(r.ErrorsJson, IngestionJsonContext.Default.ListIngestionError));
            idsTruncated |= r.TwineIdsTruncated;
            errorsTruncated |= r.ErrorsTruncated;
        }

        (entity.TwineIdsJson, var idsCut) = JsonPropertyLimit.Serialize(ids, IngestionJsonContext.Default.ListString);
        (entity.ErrorsJson, var errorsCut) = JsonPropertyLimit.Serialize(errors, IngestionJsonContext.Default.ListIngestionError);
        entity.TwineIdsTruncated = idsTruncated || idsCut;
        entity.ErrorsTruncated = errorsTruncated || errorsCut;
        entity.Created = created;
        entity.IgnoredDuplicates = ignored;
        entity.Superseded = superseded;
        entity.Failed = failed;
        entity.MessagesDone = results.Count;
        entity.MetricsTotal = Math.Max(entity.MetricsTotal, metrics);

        // Messages that were rescheduled and have an outcome now are no longer waiting.
        var done = results.Select(r => r.MessageIndex).ToHashSet();
        var waiting = JsonPropertyLimit.Deserialize(entity.RetryingJson, IngestionJsonContext.Default.ListInt32).Where(i => !done.Contains(i)).ToList();
        if (waiting.Count == 0)
        {
            (entity.RetryingJson, entity.RetryAttempt, entity.RetryLastError, entity.RetryLastReqId, entity.NextAttemptAt) = (null, null, null, null, null);
        }
        else
        {
            entity.RetryingJson = JsonSerializer.Serialize(waiting, IngestionJsonContext.Default.ListInt32);
        }

        entity.Status = Status(entity, results.Count, created + ignored + superseded, failed + failedMessages, waiting.Count > 0).ToWire();
    }

    /// <summary>
    /// The edge's state wins until it has accepted the ingestion: while it is still queueing (receiving) or after it
    /// failed to queue, outcomes update the counts only, so a retry with the same key still takes it over and
    /// queues every message. A failure marked on the whole ingestion (poison) is final.
    /// </summary>
    private static IngestionStatus Status(IngestionEntity entity, int messagesDone, int succeeded, int failures, bool anyWaiting)
    {
        if (entity.FailureReason is not null)
        {
            return IngestionStatus.Failed;
        }

        if (entity.Status == IngestionStatus.Receiving.ToWire())
        {
            return IngestionStatus.Receiving;
        }

        if (messagesDone < entity.MessagesTotal && anyWaiting)
        {
            return IngestionStatus.Retrying;
        }

        if (messagesDone == 0)
        {
            return IngestionStatus.Accepted;
        }

        if (messagesDone < entity.MessagesTotal)
        {
            return IngestionStatus.Processing;
        }

        if (failures == 0)
        {
            return IngestionStatus.Succeeded;
        }

        return succeeded > 0 ? IngestionStatus.PartlySucceeded : IngestionStatus.Failed;
    }
}
