using System.Text.Json;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>A message rescheduled after a transient failure: the ingestion shows <c>retrying</c> until it is done.</summary>
public sealed partial class IngestionStore
{
    /// <summary>
    /// A message met a transient failure and was rescheduled: the ingestion shows <c>retrying</c> with the attempt, the
    /// last error and the next attempt time, until its waiting messages are done (their outcomes clear it). An
    /// ingestion with no row yet (enqueued directly) is created from what the message says; an abandoned
    /// <c>receiving</c> one moves on; one failed as a whole keeps its status and only notes the message as waiting.
    /// </summary>
    public Task MarkRetryingAsync(string ingestionId, IngestionKind kind, int messageIndex, int messageCount, RetryInfo retry,
        CancellationToken cancellationToken) =>
        UpdateIngestionAsync(ingestionId, entity =>
        {
            var now = timeProvider.GetUtcNow();
            entity ??= new IngestionEntity
            {
                PartitionKey = ingestionId,
                Kind = kind.ToWire(),
                Status = IngestionStatus.Retrying.ToWire(),
                MessagesTotal = messageCount,
                CreatedAt = now,
            };
            MoveOnIfAbandoned(entity);
            var waiting = JsonPropertyLimit.Deserialize(entity.RetryingJson, IngestionJsonContext.Default.ListInt32).ToHashSet();
            waiting.Add(messageIndex);
            entity.RetryingJson = JsonSerializer.Serialize([.. waiting.Order()], IngestionJsonContext.Default.ListInt32);
            entity.RetryAttempt = retry.Attempt;
            entity.RetryLastError = retry.LastError;
            entity.RetryLastReqId = retry.LastErrorReqId;
            entity.NextAttemptAt = retry.NextAttemptAt;
            if (entity.FailureReason is null && entity.Status is "accepted" or "processing")
            {
                entity.Status = IngestionStatus.Retrying.ToWire();
            }

            entity.UpdatedAt = now;
            return OptimisticChange<IngestionEntity, bool>.Put(entity, true);
        }, cancellationToken);
}
