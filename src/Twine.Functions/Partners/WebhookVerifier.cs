using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Twine.Functions.Platform.Http;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Partners;

/// <summary>
/// Standard Webhooks verification (https://www.standardwebhooks.com, spec.md): HMAC-SHA256 over
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c> with the partner's key, compared in constant time with every
/// <c>v1,</c> entry of webhook-signature; the timestamp must be within five minutes of now, either way. The partner is
/// the one whose key matches: every configured partner's keys (current and previous) are tried. Refusals are 401
/// problem details naming the header; the signature and body are never logged.
/// </summary>
public sealed partial class WebhookVerifier(PartnerSecretStore secrets, TimeProvider time, ILogger<WebhookVerifier> logger)
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
    private const int MaxIdLength = 200;
    private const int MaxSignatureHeaderLength = 4096;

    /// <summary>
    /// The whole check for one write, in the order that keeps an unsigned request cheap: the headers (the body is never
    /// read without them), then the body as received (at most <see cref="RequestBody.MaxBytes"/>: 413 past that; none
    /// for a DELETE, which signs an empty body), then the signature over exactly those bytes.
    /// </summary>
    public async Task<SignedRequest> ReadSignedAsync(WebhookHeaders headers, Stream? body, long? contentLength, string instance, CancellationToken cancellationToken)
    {
        if (CheckHeaders(headers, instance) is { } unsigned)
        {
            return new([], null, unsigned);
        }

        var bytes = body is null ? [] : await RequestBody.ReadAsync(body, contentLength, RequestBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return new([], null, Problems.TooLarge(instance, $"The body must be at most {RequestBody.MaxBytes} bytes (1 MiB)."));
        }

        var verified = await VerifyAsync(headers, bytes, instance, cancellationToken).ConfigureAwait(false);
        return new(bytes, verified.Partner, verified.Problem);
    }

    /// <summary>Step 1, before the body is read: the headers are present, well formed and the timestamp is recent.</summary>
    public BodyResult? CheckHeaders(WebhookHeaders headers, string instance)
    {
        if (string.IsNullOrEmpty(headers.Id))
        {
            return Refused(instance, WebhookHeaders.IdHeader, "The webhook-id header is required (Standard Webhooks signatures).");
        }

        if (headers.Id.Length > MaxIdLength || !headers.Id.All(c => c is >= '\u0021' and <= '\u007e'))
        {
            return Refused(instance, WebhookHeaders.IdHeader, "webhook-id must be 1 to 200 printable ASCII characters without spaces.");
        }

        if (string.IsNullOrEmpty(headers.Timestamp))
        {
            return Refused(instance, WebhookHeaders.TimestampHeader, "The webhook-timestamp header is required (Unix seconds).");
        }

        if (headers.Timestamp.Length > 12 || !headers.Timestamp.All(char.IsAsciiDigit)
            || !long.TryParse(headers.Timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return Refused(instance, WebhookHeaders.TimestampHeader, "webhook-timestamp must be an integer number of seconds since the Unix epoch.");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - seconds) > (long)Tolerance.TotalSeconds)
        {
            return Refused(instance, WebhookHeaders.TimestampHeader, "webhook-timestamp is more than five minutes from the current time.");
        }

        if (string.IsNullOrWhiteSpace(headers.Signature))
        {
            return Refused(instance, WebhookHeaders.SignatureHeader, "The webhook-signature header is required (space-separated v1,<base64> signatures).");
        }

        if (headers.Signature.Length > MaxSignatureHeaderLength)
        {
            return Refused(instance, WebhookHeaders.SignatureHeader, "webhook-signature is too long.");
        }

        return null;
    }

    /// <summary>
    /// Step 2, with the body as received: the partner whose key produced one of the signatures, or a 401 (no match)
    /// or 503 (a partner's secrets could not be read and no other partner matched). Call <see cref="CheckHeaders"/> first.
    /// </summary>
    public async Task<WebhookVerification> VerifyAsync(WebhookHeaders headers, ReadOnlyMemory<byte> body, string instance, CancellationToken cancellationToken)
    {
        var signatures = Signatures(headers.Signature!);
        if (signatures.Count == 0)
        {
            return new(null, Refused(instance, WebhookHeaders.SignatureHeader, "webhook-signature holds no well-formed v1,<base64> signature."));
        }

        var unavailable = false;
        foreach (var partner in secrets.Partners)
        {
            IReadOnlyList<byte[]> keys;
            try
            {
                keys = await secrets.GetKeysAsync(partner, cancellationToken).ConfigureAwait(false);
            }
            catch (SecretUnavailableException)
            {
                unavailable = true;
                continue;
            }

            foreach (var key in keys)
            {
                var expected = WebhookSecret.Hmac(key, headers.Id!, headers.Timestamp!, body.Span);
                var matched = false;
                foreach (var signature in signatures)
                {
                    // Every entry is compared (no early exit on the first match) so timing says nothing about which one.
                    matched |= CryptographicOperations.FixedTimeEquals(expected, signature);
                }

                if (matched)
                {
                    return new(partner, null);
                }
            }
        }

        if (unavailable)
        {
            LogUnavailable();
            return new(null, Problems.Create(503, "unavailable", "Partner secrets are unavailable",
                "The signature could not be checked because a partner's signing secrets could not be read; nothing was stored. Retry later.",
                instance, [new ProblemError("Could not be checked.", Header: WebhookHeaders.SignatureHeader)], retryAfterSeconds: 5));
        }

        return new(null, Refused(instance, WebhookHeaders.SignatureHeader, "No signature in webhook-signature matches a partner's secret."));
    }

    /// <summary>The decoded v1 entries; others (other versions, no comma, bad base64, wrong length) are ignored.</summary>
    private static List<byte[]> Signatures(string header)
    {
        var decoded = new List<byte[]>();
        foreach (var entry in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!entry.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue;
            }

            var encoded = entry.AsSpan(3);
            var buffer = new byte[48];
            if (encoded.Length <= 64 && Convert.TryFromBase64Chars(encoded, buffer, out var written) && written == SHA256.HashSizeInBytes)
            {
                decoded.Add(buffer[..written]);
            }
        }

        return decoded;
    }

    private BodyResult Refused(string instance, string header, string detail)
    {
        LogRefused(header);
        return Problems.Create(401, "unauthorized", "The request is not signed by a known partner", detail, instance,
            [new ProblemError(detail, Header: header)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook signature refused: {Header}")]
    private partial void LogRefused(string header);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook signature could not be checked: partner secrets unavailable (503)")]
    private partial void LogUnavailable();
}

/// <summary>The verified partner, or the problem to answer.</summary>
public sealed record WebhookVerification(string? Partner, BodyResult? Problem);

/// <summary>A write's body as received and its verified partner, or the problem to answer (then nothing else is read).</summary>
public sealed record SignedRequest(byte[] Body, string? Partner, BodyResult? Problem);
