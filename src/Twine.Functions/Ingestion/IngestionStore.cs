using Azure;
using System.Text.Json;
using Azure.Data.Tables;
using Twine.Functions.Json;
using Twine.Functions.Storage;

namespace Twine.Functions.Ingestion;

/// <summary>
/// The Ingestions and IngestionResults tables. Every read is a point read (PK + RK) or one partition query
/// (an ingestion's results); every change to an ingestion row is a conditional write (insert, or replace with
/// the ETag read), so several instances can record outcomes of the same ingestion at once.
/// </summary>
public sealed class IngestionStore(StorageTables tables, TimeProvider timeProvider)
{
    private const int MaxConcurrencyAttempts = 50;

    public async Task<IngestionRecord?> GetAsync(string ingestionId, CancellationToken cancellationToken)
    {
        var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ToRecord(entity);
    }

    /// <summary>
    /// Inserts a new ingestion in the internal <c>receiving</c> state. Returns the new row's ETag (so that accepting it
    /// needs no read), or null when the id is already taken.
    /// </summary>
    public async Task<ETag?> TryCreateReceivingAsync(string ingestionId, NewIngestion ingestion, string requestHash,
        DateTimeOffset receivingUntil, CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        var entity = new IngestionEntity
        {
            PartitionKey = ingestionId,
            Kind = ingestion.Kind.ToWire(),
            Status = IngestionStatus.Receiving.ToWire(),
            MetricsTotal = ingestion.MetricsTotal,
            MessagesTotal = ingestion.MessagesTotal,
            ExternalId = ingestion.ExternalId,
            Operation = ingestion.Operation,
            RequestHash = requestHash,
            ReceivingUntil = receivingUntil,
            CreatedAt = now,
            UpdatedAt = now,
        };
        try
        {
            var response = await tables.Ingestions.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return response.Headers.ETag ?? default(ETag);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    /// <summary>
    /// Receiving → accepted, once every message is queued. With the ETag of the insert this is one conditional merge;
    /// if the row changed meanwhile (a fast queue trigger recorded an outcome), it is read and recomputed instead.
    /// </summary>
    public async Task MarkAcceptedAsync(string ingestionId, ETag? insertedETag, CancellationToken cancellationToken)
    {
        if (insertedETag is { } etag)
        {
            var change = new TableEntity(ingestionId, TableKeys.IngestionRow)
            {
                [nameof(IngestionEntity.Status)] = IngestionStatus.Accepted.ToWire(),
                [nameof(IngestionEntity.UpdatedAt)] = timeProvider.GetUtcNow(),
            };
            try
            {
                await tables.Ingestions.UpdateEntityAsync(change, etag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed since the insert: fall through to read, change and recompute.
            }
        }

        for (var attempt = 0; attempt < MaxConcurrencyAttempts; attempt++)
        {
            var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Ingestion {ingestionId} does not exist.");
            if (entity.Status != IngestionStatus.Receiving.ToWire())
            {
                return; // already accepted, or failed/taken over by another attempt
            }

            entity.Status = IngestionStatus.Accepted.ToWire();
            if (entity.MessagesDone > 0 || entity.RetryingJson is not null)
            {
                // Outcomes (or reschedules) arrived while the edge was still queueing: the status follows from them.
                Aggregate(entity, await GetResultsAsync(ingestionId, cancellationToken).ConfigureAwait(false));
            }

            entity.UpdatedAt = timeProvider.GetUtcNow();
            try
            {
                await tables.Ingestions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed again: retry.
            }
        }

        throw new InvalidOperationException($"Ingestion {ingestionId}: gave up accepting after {MaxConcurrencyAttempts} concurrent updates.");
    }

    /// <summary>The edge could not queue every message: the ingestion is failed and a retry with the same key may take it over.</summary>
    public Task MarkReceivingFailedAsync(string ingestionId, string reason, CancellationToken cancellationToken) =>
        UpdateAsync(ingestionId, entity =>
        {
            if (entity.Status != IngestionStatus.Receiving.ToWire())
            {
                return false;
            }

            entity.Status = IngestionStatus.Failed.ToWire();
            entity.FailureReason = reason;
            entity.FailedWhileReceiving = true;
            entity.ReceivingUntil = null;
            return true;
        }, cancellationToken);

    /// <summary>
    /// A retried request (same Idempotency-Key, same body) takes over an ingestion whose first attempt failed to
    /// queue or stopped before finishing (its receiving lease ran out). Conditional on the ETag: one retry wins.
    /// </summary>
    public async Task<bool> TryTakeOverAsync(string ingestionId, DateTimeOffset receivingUntil, CancellationToken cancellationToken)
    {
        var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        if (entity is null || !CanBeTakenOver(ToRecord(entity), timeProvider.GetUtcNow()))
        {
            return false;
        }

        entity.Status = IngestionStatus.Receiving.ToWire();
        entity.FailureReason = null;
        entity.FailedWhileReceiving = false;
        entity.RecoveredFromReceiving = false;
        entity.ReceivingUntil = receivingUntil;
        entity.UpdatedAt = timeProvider.GetUtcNow();
        try
        {
            await tables.Ingestions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    /// <remarks>
    /// An ingestion that processing moved on from an abandoned <c>receiving</c> (<see cref="IngestionRecord.RecoveredFromReceiving"/>)
    /// may still miss messages the edge never queued: until every message is done, a retry may take it over and queue
    /// them all again (the ones already done are recognised by their outcome rows and not sent to Twine again).
    /// </remarks>
    public static bool CanBeTakenOver(IngestionRecord record, DateTimeOffset now) =>
        (record.Status == IngestionStatus.Receiving && record.ReceivingUntil is { } until && until <= now)
        || (record.Status == IngestionStatus.Failed && record.FailedWhileReceiving)
        || (record.RecoveredFromReceiving && record.Status is IngestionStatus.Processing or IngestionStatus.Retrying
            && record.MessagesDone < record.MessagesTotal);

    /// <summary>
    /// Records one message's outcome. The result row is inserted once (a second delivery's insert gets 409 and is
    /// dropped); the ingestion row is then recomputed from all result rows and written with its ETag. Recomputing
    /// instead of incrementing makes a repeat harmless: the tables end as one delivery would leave them.
    /// </summary>
    /// <returns>The ingestion's status after the recompute.</returns>
    public async Task<IngestionStatus> RecordMessageOutcomeAsync(string ingestionId, MessageOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outcome.MessageIndex);
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (idsJson, idsTruncated) = JsonPropertyLimit.Serialize(outcome.TwineIds, FunctionsJsonContext.Default.ListString);
        var (errorsJson, errorsTruncated) = JsonPropertyLimit.Serialize(outcome.Errors, FunctionsJsonContext.Default.ListIngestionError);
        var result = new IngestionResultEntity
        {
            PartitionKey = ingestionId,
            RowKey = TableKeys.MessageRow(outcome.MessageIndex),
            MessageIndex = outcome.MessageIndex,
            MetricCount = outcome.MetricCount,
            Created = outcome.Created,
            IgnoredDuplicates = outcome.IgnoredDuplicates,
            Superseded = outcome.Superseded,
            Failed = outcome.Failed,
            TwineIdsJson = idsJson,
            TwineIdsTruncated = idsTruncated,
            ErrorsJson = errorsJson,
            ErrorsTruncated = errorsTruncated,
            ReasonIfFailed = outcome.ReasonIfFailed,
            RecordedAt = timeProvider.GetUtcNow(),
        };
        try
        {
            await tables.IngestionResults.AddEntityAsync(result, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Already recorded by an earlier delivery; still recompute below, in case that delivery stopped before it did.
        }

        return await RecomputeAsync(ingestionId, outcome, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks the whole ingestion failed (e.g. the poison handler). Terminal: later outcomes update counts only.
    /// When the ingestion has no row (a message enqueued directly by a partner), one is created with
    /// <paramref name="kindIfNew"/>; without it a missing row is an error.
    /// </summary>
    public async Task MarkFailedAsync(string ingestionId, string reason, CancellationToken cancellationToken, IngestionKind? kindIfNew = null, int messagesTotalIfNew = 1)
    {
        for (var attempt = 0; attempt < MaxConcurrencyAttempts; attempt++)
        {
            var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            try
            {
                if (entity is null)
                {
                    if (kindIfNew is not { } kind)
                    {
                        throw new InvalidOperationException($"Ingestion {ingestionId} does not exist.");
                    }

                    await tables.Ingestions.AddEntityAsync(new IngestionEntity
                    {
                        PartitionKey = ingestionId,
                        Kind = kind.ToWire(),
                        Status = IngestionStatus.Failed.ToWire(),
                        MessagesTotal = messagesTotalIfNew,
                        FailureReason = reason,
                        CreatedAt = now,
                        UpdatedAt = now,
                    }, cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (entity.Status == IngestionStatus.Failed.ToWire() && entity.FailureReason == reason && !entity.FailedWhileReceiving)
                {
                    return; // already recorded: a repeat changes nothing
                }

                entity.Status = IngestionStatus.Failed.ToWire();
                entity.FailureReason = reason;
                entity.FailedWhileReceiving = false;
                entity.ReceivingUntil = null;
                entity.UpdatedAt = now;
                await tables.Ingestions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Written by someone else meanwhile: read again.
            }
        }

        throw new InvalidOperationException($"Ingestion {ingestionId}: gave up marking it failed after {MaxConcurrencyAttempts} concurrent updates.");
    }

    /// <summary>
    /// Accepted → processing when a queue function starts on one of its messages (one ETag-conditional write; nothing
    /// when the ingestion is already further on, or has no row yet because it was enqueued directly). An ingestion
    /// still <c>receiving</c> after its lease ran out was abandoned by the edge between queueing and accepting: the
    /// message proves it was queued, so it moves on to processing too. Returns what was read (null: no row).
    /// </summary>
    public async Task<IngestionRecord?> MarkProcessingAsync(string ingestionId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConcurrencyAttempts; attempt++)
        {
            var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            if (entity is null)
            {
                return null;
            }

            if (!MoveOnIfAbandoned(entity, now))
            {
                if (entity.Status != IngestionStatus.Accepted.ToWire())
                {
                    return ToRecord(entity);
                }

                entity.Status = IngestionStatus.Processing.ToWire();
            }

            entity.UpdatedAt = now;
            try
            {
                await tables.Ingestions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return ToRecord(entity);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed since read (an outcome arrived): read again; it is probably past "accepted" now.
            }
        }

        return await GetAsync(ingestionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A message met a transient failure and was rescheduled: the ingestion shows <c>retrying</c> with the attempt, the
    /// last error and the next attempt time, until its waiting messages are done (their outcomes clear it). An
    /// ingestion with no row yet (enqueued directly) is created from what the message says; an abandoned
    /// <c>receiving</c> one moves on; one failed as a whole keeps its status and only notes the message as waiting.
    /// </summary>
    public async Task MarkRetryingAsync(string ingestionId, IngestionKind kind, int messageIndex, int messageCount, RetryInfo retry,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConcurrencyAttempts; attempt++)
        {
            var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            var isNew = entity is null;
            entity ??= new IngestionEntity
            {
                PartitionKey = ingestionId,
                Kind = kind.ToWire(),
                Status = IngestionStatus.Retrying.ToWire(),
                MessagesTotal = messageCount,
                CreatedAt = now,
            };
            MoveOnIfAbandoned(entity, now);
            var waiting = JsonPropertyLimit.Deserialize(entity.RetryingJson, FunctionsJsonContext.Default.ListInt32).ToHashSet();
            waiting.Add(messageIndex);
            entity.RetryingJson = JsonSerializer.Serialize([.. waiting.Order()], FunctionsJsonContext.Default.ListInt32);
            entity.RetryAttempt = retry.Attempt;
            entity.RetryLastError = retry.LastError;
            entity.RetryLastReqId = retry.LastErrorReqId;
            entity.NextAttemptAt = retry.NextAttemptAt;
            if (entity.FailureReason is null && entity.Status is "accepted" or "processing")
            {
                entity.Status = IngestionStatus.Retrying.ToWire();
            }

            entity.UpdatedAt = now;
            try
            {
                if (isNew)
                {
                    await tables.Ingestions.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await tables.Ingestions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Written by someone else meanwhile: read again.
            }
        }

        throw new InvalidOperationException($"Ingestion {ingestionId}: gave up marking it retrying after {MaxConcurrencyAttempts} concurrent updates.");
    }

    /// <summary>
    /// Receiving past its lease: the edge queued this message and stopped before accepting (a crash between enqueue and
    /// the merge). Moves it to processing; a retry by the partner may still take it over (<see cref="CanBeTakenOver"/>).
    /// </summary>
    private static bool MoveOnIfAbandoned(IngestionEntity entity, DateTimeOffset now)
    {
        if (entity.Status != IngestionStatus.Receiving.ToWire() || entity.ReceivingUntil is not { } until || until > now)
        {
            return false;
        }

        entity.Status = IngestionStatus.Processing.ToWire();
        entity.ReceivingUntil = null;
        entity.RecoveredFromReceiving = true;
        return true;
    }

    /// <summary>One message's recorded outcome (a point read), or null when none is recorded yet.</summary>
    public async Task<IngestionResultEntity?> GetResultAsync(string ingestionId, int messageIndex, CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var response = await tables.IngestionResults.GetEntityIfExistsAsync<IngestionResultEntity>(ingestionId, TableKeys.MessageRow(messageIndex), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>The outcomes recorded for an ingestion, in message order: one partition query.</summary>
    public async Task<IReadOnlyList<IngestionResultEntity>> GetResultsAsync(string ingestionId, CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ingestionId}");
        var results = new List<IngestionResultEntity>();
        await foreach (var row in tables.IngestionResults.QueryAsync<IngestionResultEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            results.Add(row);
        }

        return results;
    }

    private async Task<IngestionStatus> RecomputeAsync(string ingestionId, MessageOutcome outcome, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConcurrencyAttempts; attempt++)
        {
            var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false);
            var results = await GetResultsAsync(ingestionId, cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            var isNew = entity is null;
            entity ??= new IngestionEntity
            {
                // A message enqueued directly by a partner: no row from the edge, so the message says what the ingestion is.
                PartitionKey = ingestionId,
                Kind = outcome.Kind.ToWire(),
                Status = IngestionStatus.Processing.ToWire(),
                MessagesTotal = outcome.MessageCount,
                CreatedAt = now,
            };
            var before = isNew ? null : AggregateFingerprint(entity);
            MoveOnIfAbandoned(entity, now);
            Aggregate(entity, results);
            if (before is not null && before == AggregateFingerprint(entity))
            {
                return IngestionNames.ParseStatus(entity.Status); // a repeated delivery: nothing changed, so nothing is written (not even UpdatedAt)
            }

            entity.UpdatedAt = now;
            try
            {
                if (isNew)
                {
                    await tables.Ingestions.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await tables.Ingestions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }

                return IngestionNames.ParseStatus(entity.Status);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone else wrote the row since we read it: read again and recompute.
            }
        }

        throw new InvalidOperationException($"Ingestion {ingestionId}: gave up recording after {MaxConcurrencyAttempts} concurrent updates.");
    }

    /// <summary>Everything <see cref="Aggregate"/> sets, to tell whether a recompute changed the row.</summary>
    private static string AggregateFingerprint(IngestionEntity e) =>
        string.Join("\u001f", e.Status, e.Created, e.IgnoredDuplicates, e.Superseded, e.Failed, e.MessagesDone, e.MetricsTotal,
            e.TwineIdsJson, e.TwineIdsTruncated, e.ErrorsJson, e.ErrorsTruncated, e.RetryingJson, e.RetryAttempt, e.NextAttemptAt,
            e.ReceivingUntil, e.RecoveredFromReceiving);

    private static void Aggregate(IngestionEntity entity, IReadOnlyList<IngestionResultEntity> results)
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
            ids.AddRange(JsonPropertyLimit.Deserialize(r.TwineIdsJson, FunctionsJsonContext.Default.ListString));
            errors.AddRange(JsonPropertyLimit.Deserialize(r.ErrorsJson, FunctionsJsonContext.Default.ListIngestionError));
            idsTruncated |= r.TwineIdsTruncated;
            errorsTruncated |= r.ErrorsTruncated;
        }

        (entity.TwineIdsJson, var idsCut) = JsonPropertyLimit.Serialize(ids, FunctionsJsonContext.Default.ListString);
        (entity.ErrorsJson, var errorsCut) = JsonPropertyLimit.Serialize(errors, FunctionsJsonContext.Default.ListIngestionError);
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
        var waiting = JsonPropertyLimit.Deserialize(entity.RetryingJson, FunctionsJsonContext.Default.ListInt32).Where(i => !done.Contains(i)).ToList();
        if (waiting.Count == 0)
        {
            (entity.RetryingJson, entity.RetryAttempt, entity.RetryLastError, entity.RetryLastReqId, entity.NextAttemptAt) = (null, null, null, null, null);
        }
        else
        {
            entity.RetryingJson = JsonSerializer.Serialize(waiting, FunctionsJsonContext.Default.ListInt32);
        }

        entity.Status = AggregateStatus(entity, results.Count, created + ignored + superseded, failed + failedMessages, waiting.Count > 0).ToWire();
    }

    /// <summary>
    /// The edge's state wins until it has accepted the ingestion: while it is still queueing (receiving) or after it
    /// failed to queue, outcomes update the counts only, so a retry with the same key still takes it over and
    /// queues every message. A failure marked on the whole ingestion (poison) is final.
    /// </summary>
    private static IngestionStatus AggregateStatus(IngestionEntity entity, int messagesDone, int succeeded, int failures, bool anyWaiting)
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

    private async Task UpdateAsync(string ingestionId, Func<IngestionEntity, bool> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConcurrencyAttempts; attempt++)
        {
            var entity = await ReadAsync(ingestionId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Ingestion {ingestionId} does not exist.");
            if (!change(entity))
            {
                return;
            }

            entity.UpdatedAt = timeProvider.GetUtcNow();
            try
            {
                await tables.Ingestions.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed since read: apply the change again to the new version.
            }
        }

        throw new InvalidOperationException($"Ingestion {ingestionId}: gave up after {MaxConcurrencyAttempts} concurrent updates.");
    }

    private async Task<IngestionEntity?> ReadAsync(string ingestionId, CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var response = await tables.Ingestions.GetEntityIfExistsAsync<IngestionEntity>(ingestionId, TableKeys.IngestionRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    private static IngestionRecord ToRecord(IngestionEntity e) => new()
    {
        Id = e.PartitionKey,
        Kind = IngestionNames.ParseKind(e.Kind),
        Status = IngestionNames.ParseStatus(e.Status),
        MetricsTotal = e.MetricsTotal,
        MessagesTotal = e.MessagesTotal,
        MessagesDone = e.MessagesDone,
        Created = e.Created,
        IgnoredDuplicates = e.IgnoredDuplicates,
        Superseded = e.Superseded,
        Failed = e.Failed,
        TwineIds = JsonPropertyLimit.Deserialize(e.TwineIdsJson, FunctionsJsonContext.Default.ListString),
        TwineIdsTruncated = e.TwineIdsTruncated,
        Errors = JsonPropertyLimit.Deserialize(e.ErrorsJson, FunctionsJsonContext.Default.ListIngestionError),
        ErrorsTruncated = e.ErrorsTruncated,
        FailureReason = e.FailureReason,
        FailedWhileReceiving = e.FailedWhileReceiving,
        ExternalId = e.ExternalId,
        Operation = e.Operation,
        RequestHash = e.RequestHash,
        ReceivingUntil = e.ReceivingUntil,
        RecoveredFromReceiving = e.RecoveredFromReceiving,
        Retry = e.NextAttemptAt is { } next && e.RetryAttempt is { } attempt
            ? new RetryInfo(attempt, e.RetryLastError ?? "", e.RetryLastReqId, next,
                JsonPropertyLimit.Deserialize(e.RetryingJson, FunctionsJsonContext.Default.ListInt32).Count)
            : null,
        CreatedAt = e.CreatedAt,
        UpdatedAt = e.UpdatedAt,
    };
}

/// <summary>What the edge knows about an ingestion before it is stored.</summary>
public sealed record NewIngestion(IngestionKind Kind, int MetricsTotal, int MessagesTotal, string? ExternalId = null, string? Operation = null);
