using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;
using Twine.Client.Errors;
using Twine.Client.Serialization;

namespace Twine.Client.Http;

/// <summary>Request properties the resilience pipeline reads.</summary>
public static class TwineRequestOptions
{
    /// <summary>
    /// Whether repeating the request cannot create a duplicate. The standard resilience handler's retry (its ShouldHandle,
    /// set in AddTwineClient) only retries requests marked true: GETs, PATCHes, metric creates with ignore_duplicates,
    /// the token request; not plain creates. Unmarked requests are not retried.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> Retryable = new("Twine.Retryable");

    /// <summary>The operationId, for logs.</summary>
    public static readonly HttpRequestOptionsKey<string> Operation = new("Twine.Operation");
}

/// <summary>Sending, reading and error mapping shared by the client and the token provider.</summary>
internal static class TwineHttp
{
    public const string MediaType = "application/vnd.api+json";

    public static HttpRequestMessage CreateRequest<TBody>(string operation, HttpMethod method, string relativeUri, TBody? body, JsonTypeInfo<TBody>? bodyType, bool retryable)
        where TBody : class
    {
        var request = new HttpRequestMessage(method, relativeUri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaType));
        request.Options.Set(TwineRequestOptions.Retryable, retryable);
        request.Options.Set(TwineRequestOptions.Operation, operation);
        if (body is not null && bodyType is not null)
        {
            // Buffered bytes, so a retry can send the body again; the media type without a charset
            // parameter, as JSON:API asks.
            var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, bodyType));
            content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
            request.Content = content;
        }

        return request;
    }

    /// <summary>Sends through the resilient pipeline; failures without an answer become <see cref="TwineApiException"/>.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, string operation, HttpRequestMessage request, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's own cancellation stays what it is.
            throw;
        }
        catch (Exception ex) when (Classify(ex) is { } kind)
        {
            var elapsed = time.GetElapsedTime(started);
            Log.TransportFailed(logger, operation, kind, elapsed.TotalMilliseconds, ex.GetType().Name);
            throw new TwineApiException(operation, kind, null, null, null, ex);
        }
    }

    private static TwineFailureKind? Classify(Exception ex) => ex switch
    {
        TimeoutRejectedException => TwineFailureKind.Timeout,
        BrokenCircuitException => TwineFailureKind.CircuitOpen,
        RateLimiterRejectedException => TwineFailureKind.RateLimited,
        HttpRequestException => TwineFailureKind.ConnectionFailure,
        // HttpClient.Timeout or an abort without the caller cancelling.
        OperationCanceledException => TwineFailureKind.Timeout,
        IOException => TwineFailureKind.ConnectionFailure,
        _ => null,
    };

    public static async Task<T> ReadAsync<T>(string operation, HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var value = await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false);
            return value ?? throw new JsonException("Empty document.");
        }
        catch (JsonException ex)
        {
            // The JsonException message can quote the body; keep it only as the inner exception's path.
            throw new TwineApiException(operation, TwineFailureKind.InvalidResponse, response.StatusCode, null, null, ex);
        }
    }

    /// <summary>Builds the exception for an error answer from its JSON:API error document (when it has one).</summary>
    public static async Task<TwineApiException> ReadErrorAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        TwineErrorDocument? document = null;
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > 0)
            {
                document = JsonSerializer.Deserialize(body, TwineJsonContext.Default.TwineErrorDocument);
            }
        }
        catch (JsonException)
        {
            // Not an error document (a proxy's HTML page, say): status alone still says enough.
        }

        return new TwineApiException(operation, TwineFailureKind.ErrorResponse, response.StatusCode, document?.Errors, document?.Meta?.ReqId);
    }

    public static double ElapsedMs(TimeProvider time, long started) => time.GetElapsedTime(started).TotalMilliseconds;

    public static bool IsUnauthorized(TwineApiException ex) =>
        ex.StatusCode == HttpStatusCode.Unauthorized && !ex.HasErrorCode(TwineErrorCodes.InvalidCredentials);
}
