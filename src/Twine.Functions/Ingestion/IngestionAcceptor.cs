using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Http;
using Twine.Functions.Json;

namespace Twine.Functions.Ingestion;

/// <summary>
/// The part every ingestion endpoint shares once the request is valid: honour the Idempotency-Key, record the
/// ingestion (internally "receiving"), queue its messages, then mark it accepted and answer 202. If queueing
/// fails, the ingestion is marked failed and the caller gets 503; nothing half-written ever reads as accepted,
/// and a retry with the same key and body takes the ingestion over and queues it again.
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

    public async Task<IResult> AcceptAsync(string instance, NewIngestion ingestion, string? idempotencyKey, string requestHash,
        Func<string, CancellationToken, Task> enqueue, CancellationToken cancellationToken)
    {
        string ingestionId;
        ETag? insertedETag = null;
        try
        {
            var leaseUntil = timeProvider.GetUtcNow() + ReceivingLease;
            ingestionId = IngestionId.New(timeProvider);
            if (idempotencyKey is null)
            {
                insertedETag = await store.TryCreateReceivingAsync(ingestionId, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var claim = await keys.ClaimAsync(idempotencyKey, ingestionId, requestHash, cancellationToken).ConfigureAwait(false);
                ingestionId = claim.IngestionId;
                if (claim.RequestHash != requestHash)
                {
                    LogKeyReused(ingestionId);
                    return Problems.IdempotencyKeyReused(instance, ingestionId);
                }

                if (claim.Won)
                {
                    insertedETag = await store.TryCreateReceivingAsync(ingestionId, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false);
                }
                else if (await ClaimedBeforeAsync(claim, instance, ingestion, requestHash, leaseUntil, cancellationToken).ConfigureAwait(false) is { } replay)
                {
                    return replay;
                }
            }
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(e.Status, e.ErrorCode);
            return Problems.Unavailable(instance, "The ingestion could not be recorded; nothing was queued. Retry later (with the same Idempotency-Key).");
        }

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

            return Problems.Unavailable(instance, "The ingestion could not be queued and was not accepted. Retry later (with the same Idempotency-Key).", ingestionId);
        }

        try
        {
            await store.MarkAcceptedAsync(ingestionId, insertedETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(e.Status, e.ErrorCode);
            return Problems.Unavailable(instance, "The ingestion was queued but could not be marked accepted. Retry later (with the same Idempotency-Key).", ingestionId);
        }

        LogAccepted(ingestionId, ingestion.Kind.ToWire(), ingestion.MetricsTotal, ingestion.MessagesTotal);
        return Accepted(ingestionId);
    }

    /// <summary>
    /// The key was used before with the same request: answer as the first time, finish what it left undone (taking the
    /// ingestion over), or tell the caller to retry while the first attempt may still be working.
    /// </summary>
    private async Task<IResult?> ClaimedBeforeAsync(IdempotencyClaim claim, string instance, NewIngestion ingestion, string requestHash,
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
                return InProgress(instance, id, claim.ClaimedAt + ReceivingLease - now);
            }

            LogTakenOver(id);
            return null;
        }

        if (IngestionStore.CanBeTakenOver(existing, now))
        {
            if (!await store.TryTakeOverAsync(id, leaseUntil, cancellationToken).ConfigureAwait(false))
            {
                return InProgress(instance, id, ReceivingLease);
            }

            LogTakenOver(id);
            return null;
        }

        if (existing.Status == IngestionStatus.Receiving)
        {
            return InProgress(instance, id, (existing.ReceivingUntil ?? now) - now);
        }

        LogReplayed(id);
        return Accepted(id);
    }

    private static BodyResult InProgress(string instance, string id, TimeSpan retryAfter) =>
        Problems.InProgress(instance, id, Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));

    public static BodyResult Accepted(string ingestionId)
    {
        var statusUrl = StatusPathPrefix + ingestionId;
        var body = JsonSerializer.SerializeToUtf8Bytes(new AcceptedResponse(ingestionId, statusUrl), FunctionsJsonContext.Default.AcceptedResponse);
        return new BodyResult(StatusCodes.Status202Accepted, "application/json", body, [new("Location", statusUrl)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId} accepted: {Kind}, {MetricCount} metrics in {MessageCount} messages")]
    private partial void LogAccepted(string ingestionId, string kind, int metricCount, int messageCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {IngestionId} replayed for a repeated Idempotency-Key; nothing queued")]
    private partial void LogReplayed(string ingestionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {IngestionId} taken over by a retry with the same Idempotency-Key; queueing again")]
    private partial void LogTakenOver(string ingestionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Idempotency-Key of ingestion {IngestionId} reused with another request: 422")]
    private partial void LogKeyReused(string ingestionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion {IngestionId} could not be queued (storage status {Status}): 503")]
    private partial void LogQueueingFailed(string ingestionId, int? status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage failed (status {Status}, code {ErrorCode}): 503")]
    private partial void LogStorageFailed(int status, string? errorCode);
}
