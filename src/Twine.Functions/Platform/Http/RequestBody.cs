using Microsoft.Net.Http.Headers;

namespace Twine.Functions.Platform.Http;

/// <summary>Reading request bodies with a size cap, and the media types the ingestion endpoints take.</summary>
public static class RequestBody
{
    public const int MaxBytes = 1024 * 1024;
    public const string JsonApiMediaType = "application/vnd.api+json";

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/>; null when the body is larger. A declared Content-Length over the
    /// limit is refused before reading anything.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(Stream body, long? contentLength, int maxBytes, CancellationToken cancellationToken)
    {
        if (contentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(contentLength is > 0 and var n ? (int)n : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// JSON:API's media type, without parameters other than ext/profile (JSON:API 1.1 answers 415 to others); plain
    /// application/json is accepted too (optionally with charset=utf-8), because many webhook senders cannot set
    /// another type. Null when acceptable, else why not.
    /// </summary>
    public static string? MediaTypeProblem(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return "Send the body as application/vnd.api+json (or application/json).";
        }

        var mediaType = parsed.MediaType.Value;
        if (string.Equals(mediaType, JsonApiMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return parsed.Parameters.All(p => p.Name.Equals("ext", StringComparison.OrdinalIgnoreCase) || p.Name.Equals("profile", StringComparison.OrdinalIgnoreCase))
                ? null
                : "application/vnd.api+json takes no parameters other than ext and profile.";
        }

        if (string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 9110: a parameter value may be quoted, and charset is case-insensitive: charset="UTF-8" is utf-8.
            var charset = HeaderUtilities.RemoveQuotes(parsed.Charset).Value;
            return charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
                ? null
                : "The body must be UTF-8.";
        }

        return "Send the body as application/vnd.api+json (or application/json).";
    }

    /// <summary>
    /// Content-Encoding: none (or <c>identity</c>) only. A compressed body is refused with 415, as RFC 9110 (8.4.1)
    /// says for a coding the server does not support, instead of failing later as malformed JSON; the signature is
    /// over the bytes as sent, and decoding would let a small request expand past the 1 MiB cap. Null when acceptable.
    /// </summary>
    public static string? ContentEncodingProblem(string? contentEncoding)
    {
        if (contentEncoding is null)
        {
            return null;
        }

        foreach (var coding in contentEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                return "Content-Encoding is not supported: send the body uncompressed (no Content-Encoding, or identity).";
            }
        }

        return null;
    }

    /// <summary>Idempotency-Key: 1-200 printable ASCII characters. Null when acceptable (or absent), else why not.</summary>
    public static string? IdempotencyKeyProblem(string? key)
    {
        if (key is null)
        {
            return null;
        }

        return key.Length is >= 1 and <= 200 && key.All(c => c is >= '\u0021' and <= '\u007e')
            ? null
            : "Idempotency-Key must be 1 to 200 printable ASCII characters without spaces.";
    }
}
