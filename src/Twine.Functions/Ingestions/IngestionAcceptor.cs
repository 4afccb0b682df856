using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Storage;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions;

/// <summary>
/// The part every ingestion endpoint shares once the request is valid and signed, in one storage round trip before the
/// answer, writes at once: the ingestion row (internally "receiving") — its id is derived from the signed webhook-id, so
/// the insert is also the webhook-id's claim —, the Idempotency-Key's claim when the partner sent one, and the messages,
/// sent invisible. Then 202, and after the answer the messages' kept copies are written (for replay), the messages
/// revealed, the row marked accepted and copied to the history index
/// (<see cref="AcceptFollowUps"/>; until then the status read shows it as accepted). A message is never visible before
/// its row is known to be this request's: a repeat deletes the messages it sent, and one that reappears after a crash
/// is recognised by processing (<see cref="IngestionSnapshot.StrayReason"/>). A key seen before answers as the first request did (202 with the same id), 409 while that one is
/// still being accepted, or 422 when it came with another request. If queueing fails, the ingestion is marked failed and
/// the caller gets 503; a retry with the same webhook-id and body takes the ingestion over and queues it again.
/// </summary>
public sealed partial class IngestionAcceptor(
    IngestionStore store,
    IdempotencyKeyStore keys,
    IngestionQueues queues,
    AcceptFollowUps followUps,
    TimeProvider timeProvider,
    ILogger<IngestionAcceptor> logger)
{
    /// <summary>How long a first attempt may take to queue before a retry with the same key may take it over.</summary>
    public static readonly TimeSpan ReceivingLease = TimeSpan.FromMinutes(1);

    public const string StatusPathPrefix = "/api/ingestions/";

    private const string NotQueued = "The ingestion could not be queued and was not accepted. Retry later with the same webhook-id.";

    /// <summary>SHA-256 over what identifies a request: method, route and the body bytes.</summary>
    public static string RequestHash(string method, string route, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{method} {route}\n"));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public async Task<IResult> AcceptAsync(string instance, NewIngestion ingestion, RequestKeys requestKeys, string requestHash,
        OutgoingMessages messages, CancellationToken cancellationToken)
    {
        ingestion = ingestion with { Source = IngestionSource.From(requestKeys) }; // partner and webhook-id, for history and retention
        var leaseUntil = timeProvider.GetUtcNow() + ReceivingLease;
        var ingestionId = IngestionId.ForWebhookId(requestKeys.WebhookIdKey);
        var built = messages.ForIngestion(ingestionId).ToList();

        // One round trip: the row (the webhook-id's claim), the Idempotency-Key's claim, and the messages,
        // sent hidden: nothing can process them before the row is known to be this request's.
        var insert = store.TryCreateReceivingAsync(ingestionId, ingestion, requestHash, leaseUntil, cancellationToken);
        var byKeyClaim = requestKeys.IdempotencyKeyKey is { } keyKey
            ? ClaimOrNullAsync(keyKey, ingestionId, requestHash, cancellationToken)
            : Task.FromResult<IdempotencyClaim?>(null);
        var send = queues.SendHiddenAsync(messages.Kind, built, cancellationToken);
        try
        {
            await Task.WhenAll(insert, byKeyClaim, send).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RequestFailedException or OptimisticUpdateException || (e is not OperationCanceledException && send.IsFaulted))
        {
            return await RoundTripFailedAsync(instance, ingestionId, insert, byKeyClaim, send, requestKeys, e).ConfigureAwait(false);
        }

        var inserted = await insert.ConfigureAwait(false);
        var byKey = await byKeyClaim.ConfigureAwait(false);
        var sent = await send.ConfigureAwait(false);
        try
        {
            if (inserted is null)
            {
                // The webhook-id was seen before: whatever the Idempotency-Key says, it never starts a second ingestion.
                await queues.DeleteSentAsync(sent, CancellationToken.None).ConfigureAwait(false);
                return await RepeatedWebhookIdAsync(instance, ingestionId, ingestion, requestHash, leaseUntil, byKey, requestKeys, messages, cancellationToken)
                    .ConfigureAwait(false);
            }

            if (byKey is { Won: false } earlier && earlier.IngestionId != ingestionId)
            {
                // A new webhook-id, but the Idempotency-Key names a request the partner sent before under another one.
                await queues.DeleteSentAsync(sent, CancellationToken.None).ConfigureAwait(false);
                if (earlier.RequestHash != requestHash)
                {
                    await store.DiscardReceivingAsync(inserted, CancellationToken.None).ConfigureAwait(false); // the webhook-id stays free
                    return Reused(instance, earlier.IngestionId, WebhookRequest.IdempotencyKeyHeader, requestKeys);
                }

                await store.MakeAliasAsync(inserted, earlier.IngestionId, CancellationToken.None).ConfigureAwait(false); // either id answers alike

                return await ClaimedBeforeAsync(earlier, WebhookRequest.IdempotencyKeyHeader, instance, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false)
                    ?? await TakeOverAsync(earlier.IngestionId, instance, messages, ingestion.MetricsTotal, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(e.Status, e.ErrorCode);
            await queues.DeleteSentAsync(sent, CancellationToken.None).ConfigureAwait(false);
            return Problems.Unavailable(instance, "The ingestion could not be recorded; nothing was queued. Retry later with the same webhook-id.");
        }

        // Recorded and queued: after the answer, the messages' copies are kept (for replay), then the messages revealed and
        // the ingestion marked accepted. A revealed message therefore always has its copy.
        followUps.Start(ingestionId, async ct =>
        {
            await queues.KeepAsync(IngestionQueues.KeptCopies(ingestionId, messages.Kind, built), ct).ConfigureAwait(false);
            await queues.RevealAsync(sent, ct).ConfigureAwait(false);
            await store.MarkAcceptedAsync(ingestionId, inserted, ct).ConfigureAwait(false);
        });
        LogAccepted(ingestionId, messages.Kind.ToWire(), ingestion.MetricsTotal, built.Count);
        return Accepted(ingestionId);
    }

    /// <summary>
    /// Part of the round trip failed: remove what this request wrote of it (the hidden messages, its key claim, its row),
    /// except a row whose messages could not be queued, which is marked failed so that a retry takes it over.
    /// </summary>
    private async Task<IResult> RoundTripFailedAsync(string instance, string ingestionId, Task<ReceivingRecord?> insert, Task<IdempotencyClaim?> byKeyClaim,
        Task<IReadOnlyList<SentMessage>> send, RequestKeys requestKeys, Exception e)
    {
        var status = (e as RequestFailedException)?.Status;
        try
        {
            if (send.IsCompletedSuccessfully)
            {
                await queues.DeleteSentAsync(send.Result, CancellationToken.None).ConfigureAwait(false);
            }

            if (insert.IsCompletedSuccessfully && insert.Result is { } inserted)
            {
                if (send.IsFaulted && !byKeyClaim.IsFaulted)
                {
                    // Recorded, not queued: failed, and kept with its key, so that a retry of either takes it over.
                    return await QueueingFailedAsync(ingestionId, status, instance).ConfigureAwait(false);
                }

                await store.DiscardReceivingAsync(inserted, CancellationToken.None).ConfigureAwait(false);
            }

            if (byKeyClaim.IsCompletedSuccessfully && byKeyClaim.Result is { Won: true } claimed)
            {
                await keys.ReleaseAsync(requestKeys.IdempotencyKeyKey!, claimed, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception inner) when (inner is RequestFailedException or InvalidOperationException or OptimisticUpdateException)
        {
            LogUndoFailed(ingestionId, (inner as RequestFailedException)?.Status ?? 0); // hidden messages reappear later and are dropped or deduplicated
        }

        LogStorageFailed(status ?? 0, (e as RequestFailedException)?.ErrorCode);
        return send.IsFaulted && !insert.IsFaulted
            ? Problems.Unavailable(instance, NotQueued, ingestionId)
            : Problems.Unavailable(instance, "The ingestion could not be recorded; nothing was queued. Retry later with the same webhook-id.");
    }

    private async Task<IdempotencyClaim?> ClaimOrNullAsync(string key, string ingestionId, string requestHash, CancellationToken cancellationToken) =>
        await keys.ClaimAsync(key, ingestionId, requestHash, cancellationToken).ConfigureAwait(false);

    /// <summary>The webhook-id's ingestion exists: answer as it did, refuse another body, or take over an attempt that stopped.</summary>
    private async Task<IResult> RepeatedWebhookIdAsync(string instance, string ingestionId, NewIngestion ingestion, string requestHash, DateTimeOffset leaseUntil,
        IdempotencyClaim? byKey, RequestKeys requestKeys, OutgoingMessages messages, CancellationToken cancellationToken)
    {
        var existing = await store.GetAsync(ingestionId, cancellationToken).ConfigureAwait(false);
        if (existing is { AliasOf: { } target } && existing.RequestHash == requestHash)
        {
            // This webhook-id repeated an earlier ingestion (by its Idempotency-Key): answer as that one does.
            ingestionId = target;
            existing = await store.GetAsync(target, cancellationToken).ConfigureAwait(false);
        }

        if (existing is null || (existing.RequestHash is { } recordedHash && recordedHash != requestHash))
        {
            if (byKey is { Won: true } claimed)
            {
                await keys.ReleaseAsync(requestKeys.IdempotencyKeyKey!, claimed, CancellationToken.None).ConfigureAwait(false); // it must not name this request
            }

            return existing is null
                ? InProgress(instance, WebhookHeaders.IdHeader, ingestionId, ReceivingLease) // removed meanwhile by a request that lost its Idempotency-Key
                : Reused(instance, ingestionId, WebhookHeaders.IdHeader, requestKeys);
        }

        return await AnsweredBeforeAsync(existing, WebhookHeaders.IdHeader, instance, leaseUntil, cancellationToken).ConfigureAwait(false)
            ?? await TakeOverAsync(ingestionId, instance, messages, ingestion.MetricsTotal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues the messages of an ingestion taken over from an attempt that stopped (built again for its id, copies kept again).</summary>
    private Task<IResult> TakeOverAsync(string ingestionId, string instance, OutgoingMessages messages, int metricCount, CancellationToken cancellationToken)
    {
        var built = messages.ForIngestion(ingestionId).ToList();
        return QueueTakenOverAsync(ingestionId, messages.Kind, metricCount, built, IngestionQueues.KeptCopies(ingestionId, messages.Kind, built), instance, cancellationToken);
    }

    /// <summary>Queues the messages of a taken-over ingestion; answers 202 and marks the ingestion accepted after the answer.</summary>
    private async Task<IResult> QueueTakenOverAsync(string ingestionId, IngestionKind kind, int metricCount, IReadOnlyList<byte[]> built,
        IReadOnlyList<Azure.Data.Tables.TableEntity> copies, string instance, CancellationToken cancellationToken)
    {
        try
        {
            // The copies first, so a queued message always has one; the row exists already, so the messages go visible.
            await queues.KeepAsync(copies, cancellationToken).ConfigureAwait(false);
            await queues.EnqueueAsync(kind, built, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return await QueueingFailedAsync(ingestionId, (e as RequestFailedException)?.Status, instance).ConfigureAwait(false);
        }

        followUps.Start(ingestionId, ct => store.MarkAcceptedAsync(ingestionId, null, ct));
        LogAccepted(ingestionId, kind.ToWire(), metricCount, built.Count);
        return Accepted(ingestionId);
    }

    /// <summary>The ingestion is recorded but its messages could not be queued: failed (a retry takes it over), 503.</summary>
    private async Task<IResult> QueueingFailedAsync(string ingestionId, int? status, string instance)
    {
        LogQueueingFailed(ingestionId, status);
        try
        {
            await store.MarkReceivingFailedAsync(ingestionId, $"Queueing failed (status {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}).",
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception inner) when (inner is RequestFailedException or InvalidOperationException or OptimisticUpdateException)
        {
            // It stays "receiving" and a retry may take it over once its lease ends.
        }

        return Problems.Unavailable(instance, NotQueued, ingestionId);
    }

    /// <summary>
    /// An Idempotency-Key used before with the same request: answer as the first time, finish what it left undone (taking
    /// the ingestion over), or tell the caller to retry while the first attempt may still be working.
    /// </summary>
    private async Task<IResult?> ClaimedBeforeAsync(IdempotencyClaim claim, string header, string instance, NewIngestion ingestion, string requestHash,
        DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var id = claim.IngestionId;
        var now = timeProvider.GetUtcNow();
        var existing = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            // The first request claimed the key but has not recorded the ingestion yet (or stopped before it did).
            if (claim.ClaimedAt + ReceivingLease > now
                || await store.TryCreateReceivingAsync(id, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false) is null)
            {
                return InProgress(instance, header, id, claim.ClaimedAt + ReceivingLease - now);
            }

            LogTakenOver(id);
            return null;
        }

        return await AnsweredBeforeAsync(existing, header, instance, leaseUntil, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ingestion a key names exists: 202 as before, 409 while its first attempt is working, or null once this request took it over.</summary>
    private async Task<IResult?> AnsweredBeforeAsync(IngestionRecord existing, string header, string instance, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var id = existing.Id;
        var now = timeProvider.GetUtcNow();
        if (IngestionStore.CanBeTakenOver(existing, now))
        {
            if (!await store.TryTakeOverAsync(id, leaseUntil, cancellationToken).ConfigureAwait(false))
            {
                return InProgress(instance, header, id, ReceivingLease);
            }

            LogTakenOver(id);
            return null;
        }

        if (existing.Status == IngestionStatus.Receiving)
        {
            return InProgress(instance, header, id, (existing.ReceivingUntil ?? now) - now);
        }

        LogReplayed(id);
        return Accepted(id);
    }

    /// <summary>
    /// 409 while the first attempt may still be working. A first attempt normally finishes within a second, so the
    /// partner is told to retry after one or two seconds, not after the whole lease: by the time the lease runs out
    /// (a first attempt that crashed), one of those retries takes the ingestion over.
    /// </summary>
    private static BodyResult InProgress(string instance, string header, string id, TimeSpan leaseLeft) =>
        Problems.InProgress(instance, id, header, Math.Clamp((int)Math.Ceiling(leaseLeft.TotalSeconds), 1, MaxRetryAfterSeconds));

    public const int MaxRetryAfterSeconds = 2;

    private BodyResult Reused(string instance, string ingestionId, string header, RequestKeys requestKeys)
    {
        LogKeyReused(ingestionId, header, requestKeys.Partner.ToLowerInvariant(), RefusalLog.SafeWebhookId(requestKeys.WebhookId));
        return Problems.KeyReused(instance, ingestionId, header);
    }

    public static BodyResult Accepted(string ingestionId)
    {
        var statusUrl = StatusPathPrefix + ingestionId;
        var body = JsonSerializer.SerializeToUtf8Bytes(new AcceptedResponse(ingestionId, statusUrl), IngestionJsonContext.Default.AcceptedResponse);
        return new BodyResult(StatusCodes.Status202Accepted, "application/json", body, [new("Location", statusUrl)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId} accepted: {Kind}, {MetricCount} metrics in {MessageCount} messages")]
    private partial void LogAccepted(string ingestionId, string kind, int metricCount, int messageCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId}: what a failed first round trip wrote could not be removed (storage status {Status}); a retry takes it over after its lease")]
    private partial void LogUndoFailed(string ingestionId, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId} answered again for a repeated webhook-id or Idempotency-Key; nothing queued")]
    private partial void LogReplayed(string ingestionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId} taken over by a retry of the same request; queueing again")]
    private partial void LogTakenOver(string ingestionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Header} of ingestion {IngestionId} reused with another request: 422; partner {Partner}, webhook-id {WebhookId}")]
    private partial void LogKeyReused(string ingestionId, string header, string partner, string webhookId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion {IngestionId} could not be queued (storage status {Status}): 503")]
    private partial void LogQueueingFailed(string ingestionId, int? status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage failed (status {Status}, code {ErrorCode}): 503")]
    private partial void LogStorageFailed(int status, string? errorCode);
}

/// <summary>What a request becomes in the queue: its kind (which queue) and its messages, built for an ingestion id (they carry it).</summary>
public sealed record OutgoingMessages(IngestionKind Kind, Func<string, IEnumerable<byte[]>> ForIngestion);
