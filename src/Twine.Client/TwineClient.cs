using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Twine.Client.Auth;
using Twine.Client.Http;
using Twine.Client.Models;
using Twine.Client.Paging;

namespace Twine.Client;

/// <summary>
/// The typed Twine client. Built by <c>AddTwineClient</c>: its HttpClient carries the base address and the resilience
/// pipeline; this class adds the bearer token, the single renew-and-retry after a 401, JSON:API (de)serialisation,
/// error mapping and logging. Operations are in the partial files per resource family.
/// </summary>
public sealed partial class TwineClient : ITwineClient
{
    private readonly HttpClient _http;
    private readonly ITwineTokenProvider _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<TwineClient> _logger;

    public TwineClient(HttpClient http, ITwineTokenProvider tokens, TimeProvider time, ILogger<TwineClient> logger)
    {
        _http = http;
        _tokens = tokens;
        _time = time;
        _logger = logger;
    }

    private Task<T> GetAsync<T>(string operation, string relativeUri, JsonTypeInfo<T> responseType, CancellationToken cancellationToken)
        where T : class, ITwineDocument =>
        SendAsync<T, T>(operation, HttpMethod.Get, relativeUri, null, null, retryable: true, responseType, cancellationToken);

    private async Task<TResponse> SendAsync<TBody, TResponse>(
        string operation,
        HttpMethod method,
        string uri,
        TBody? body,
        JsonTypeInfo<TBody>? bodyType,
        bool retryable,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
        where TBody : class
        where TResponse : class, ITwineDocument
    {
        var (response, started) = await SendCoreAsync(operation, method, uri, body, bodyType, retryable, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var document = await TwineHttp.ReadAsync(operation, response, responseType, cancellationToken).ConfigureAwait(false);
            Log.Succeeded(_logger, operation, (int)response.StatusCode, TwineHttp.ElapsedMs(_time, started), document.Meta?.ReqId);
            return document;
        }
    }

    private async Task SendWithoutResultAsync(string operation, HttpMethod method, string uri, bool retryable, CancellationToken cancellationToken)
    {
        var (response, started) = await SendCoreAsync<object>(operation, method, uri, null, null, retryable, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            Log.Succeeded(_logger, operation, (int)response.StatusCode, TwineHttp.ElapsedMs(_time, started), null);
        }
    }

    /// <summary>Sends with a bearer token; after a 401 Unauthorized renews the token and sends once more.</summary>
    private async Task<(HttpResponseMessage Response, long Started)> SendCoreAsync<TBody>(
        string operation,
        HttpMethod method,
        string uri,
        TBody? body,
        JsonTypeInfo<TBody>? bodyType,
        bool retryable,
        CancellationToken cancellationToken)
        where TBody : class
    {
        for (var attempt = 1; ; attempt++)
        {
            var token = await _tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
            var request = TwineHttp.CreateRequest(operation, method, uri, body, bodyType, retryable);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var started = _time.GetTimestamp();
            var response = await TwineHttp.SendAsync(_http, operation, request, _logger, _time, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return (response, started);
            }

            using (response)
            {
                var error = await TwineHttp.ReadErrorAsync(operation, response, cancellationToken).ConfigureAwait(false);
                Log.Failed(_logger, operation, (int)response.StatusCode, error.ErrorCode, TwineHttp.ElapsedMs(_time, started), error.RequestId);

                // An expired or revoked token: renew it and try once more. This is auth, not resilience.
                if (attempt == 1 && TwineHttp.IsUnauthorized(error))
                {
                    Log.TokenRejected(_logger, operation, error.RequestId);
                    _tokens.Invalidate(token);
                    continue;
                }

                throw error;
            }
        }
    }

    /// <summary>Every page from <paramref name="firstUri"/> on, following links.next until there is none.</summary>
    private async IAsyncEnumerable<TwinePage<T>> PagesAsync<T>(
        string operation,
        string firstUri,
        JsonTypeInfo<TwinePage<T>> responseType,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var uri = firstUri;
        while (true)
        {
            var page = await GetAsync(operation, uri, responseType, cancellationToken).ConfigureAwait(false);
            yield return page;

            if (!page.HasNextPage || page.Data.Count == 0)
            {
                yield break;
            }

            var next = NextLink.Resolve(_http.BaseAddress!, page.Links!.Next!, operation).AbsoluteUri;
            if (next == uri)
            {
                // A next link pointing at itself would loop forever.
                yield break;
            }

            uri = next;
        }
    }

    private static string Path(string collection, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return $"{collection}/{Uri.EscapeDataString(id)}";
    }

    private static string Path(string collection, string id, string related) => $"{Path(collection, id)}/{related}";

    private static string RequireId<TAttributes>(TwineResource<TAttributes> resource)
        where TAttributes : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (string.IsNullOrEmpty(resource.Id))
        {
            throw new ArgumentException("An update needs the resource's id.", nameof(resource));
        }

        return resource.Id;
    }

    private static string WithInclude(string uri, IReadOnlyCollection<string>? include) =>
        include is { Count: > 0 } ? $"{uri}?include={Uri.EscapeDataString(string.Join(',', include))}" : uri;
}
