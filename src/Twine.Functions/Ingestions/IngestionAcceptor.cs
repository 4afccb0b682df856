using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions;

/// <summary>
/// The part every ingestion endpoint shares once the request is valid and signed: claim its keys (the partner's
/// webhook-id, and its Idempotency-Key when sent; see <see cref="RequestKeys"/>), record the ingestion (internally
/// "receiving"), queue its messages, then mark it accepted and answer 202. A key seen before answers as the first
/// request did (202 with the same id), 409 while that one is still being accepted, or 422 when it came with another
/// request. If queueing fails, the ingestion is marked failed and the caller gets 503; nothing half-written ever reads
/// as accepted, and a retry with the same webhook-id and body takes the ingestion over and queues it again.
/// </summary>
public sealed partial class IngestionAcceptor(
    IngestionStore store,
    IdempotencyKeyStore keys,
    TimeProvider timeProvider,
    ILogger<IngestionAcceptor> logger)
{
    /// <summary>How long a first attempt may take to queue before a retry with the same key may take it over.</summary>
    public static readonly TimeSpan ReceivingLease = TimeSpan.FromMinutes(1);

    public const string StatusPathPrefix = "/api/ingestions/";

    /// <summary>SHA-256 over what identifies a request: method, route and the body bytes.</summary>
    public static string RequestHash(string method, string route, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{method} {route}\n"));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public async Task<IResult> AcceptAsync(string instance, NewIngestion ingestion, RequestKeys requestKeys, string requestHash,
        Func<string, CancellationToken, Task> enqueue, CancellationToken cancellationToken)
    {
        ingestion = ingestion with { Source = IngestionSource.From(requestKeys) }; // partner and webhook-id, for history and retention
        string ingestionId;
        ETag? insertedETag = null;
        try
        {
            var leaseUntil = timeProvider.GetUtcNow() + ReceivingLease;
            ingestionId = IngestionId.New(timeProvider);

            // The signed webhook-id first: once seen for this partner it never starts a second ingestion.
            var byWebhookId = await keys.ClaimAsync(requestKeys.WebhookIdKey, ingestionId, requestHash, cancellationToken).ConfigureAwait(false);
            if (!byWebhookId.Won)
            {
                return byWebhookId.RequestHash != requestHash
                    ? Reused(instance, byWebhookId.IngestionId, WebhookHeaders.IdHeader, requestKeys)
                    : await ClaimedBeforeAsync(byWebhookId, WebhookHeaders.IdHeader, instance, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false)
                        ?? await QueueAndAcceptAsync(ingestion, byWebhookId.IngestionId, null, instance, enqueue, cancellationToken).ConfigureAwait(false);
            }

            // A new webhook-id. An Idempotency-Key may still name a request the partner sent before under another one.
            if (requestKeys.IdempotencyKeyKey is { } keyKey)
            {
                var byKey = await keys.ClaimAsync(keyKey, ingestionId, requestHash, cancellationToken).ConfigureAwait(false);
                if (!byKey.Won)
                {
                    if (byKey.RequestHash != requestHash)
                    {
                        await keys.ReleaseAsync(requestKeys.WebhookIdKey, byWebhookId, cancellationToken).ConfigureAwait(false);
                        return Reused(instance, byKey.IngestionId, WebhookRequest.IdempotencyKeyHeader, requestKeys);
                    }

                    await keys.RedirectAsync(requestKeys.WebhookIdKey, byWebhookId, byKey.IngestionId, cancellationToken).ConfigureAwait(false);
                    return await ClaimedBeforeAsync(byKey, WebhookRequest.IdempotencyKeyHeader, instance, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false)
                        ?? await QueueAndAcceptAsync(ingestion, byKey.IngestionId, null, instance, enqueue, cancellationToken).ConfigureAwait(false);
                }
            }

            insertedETag = await store.TryCreateReceivingAsync(ingestionId, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(e.Status, e.ErrorCode);
            return Problems.Unavailable(instance, "The ingestion could not be recorded; nothing was queued. Retry later with the same webhook-id.");
        }

        return await QueueAndAcceptAsync(ingestion, ingestionId, insertedETag, instance, enqueue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues the messages and marks the ingestion accepted: a new ingestion, or one taken over from an attempt that stopped.</summary>
    private async Task<IResult> QueueAndAcceptAsync(NewIngestion ingestion, string ingestionId, ETag? insertedETag, string instance,
        Func<string, CancellationToken, Task> enqueue, CancellationToken cancellationToken)
    {
        try
        {
            await enqueue(ingestionId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var status = (e as RequestFailedException)?.Status;
            LogQueueingFailed(ingestionId, status);
            try
            {
                await store.MarkReceivingFailedAsync(ingestionId, $"Queueing failed (status {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}).", CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception inner) when (inner is RequestFailedException or InvalidOperationException)
            {
                // It stays "receiving" (never visible as accepted) and a retry may take it over once its lease ends.
            }

            return Problems.Unavailable(instance, "The ingestion could not be queued and was not accepted. Retry later with the same webhook-id.", ingestionId);
        }

        try
        {
            await store.MarkAcceptedAsync(ingestionId, insertedETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(e.Status, e.ErrorCode);
            return Problems.Unavailable(instance, "The ingestion was queued but could not be marked accepted. Retry later with the same webhook-id.", ingestionId);
        }

        LogAccepted(ingestionId, ingestion.Kind.ToWire(), ingestion.MetricsTotal, ingestion.MessagesTotal);
        return Accepted(ingestionId);
    }

    /// <summary>
    /// The key was used before with the same request: answer as the first time, finish what it left undone (taking the
    /// ingestion over), or tell the caller to retry while the first attempt may still be working.
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
