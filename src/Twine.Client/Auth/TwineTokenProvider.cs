using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client.Errors;
using Twine.Client.Http;
using Twine.Client.Models;
using Twine.Client.Serialization;

namespace Twine.Client.Auth;

/// <summary>Supplies bearer tokens for Twine calls.</summary>
public interface ITwineTokenProvider
{
    /// <summary>A valid access token: the cached one, or a new one when it is missing or about to expire.</summary>
    ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken);

    /// <summary>Forgets <paramref name="accessToken"/> after Twine rejected it, so the next call fetches a new one.</summary>
    void Invalidate(string accessToken);
}

/// <summary>
/// OAuth client-credentials tokens: fetched on first use, cached, renewed <see cref="TwineClientOptions.TokenRenewalSkew"/>
/// before they expire, fetched once however many callers wait (single flight). Tokens are per instance.
/// </summary>
public sealed class TwineTokenProvider : ITwineTokenProvider
{
    internal const string Operation = "createToken";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly ITwineCredentialsProvider _credentials;
    private readonly IOptionsMonitor<TwineClientOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TwineTokenProvider> _logger;
    private readonly Lock _gate = new();
    private CachedToken? _current;
    private Task<CachedToken>? _pending;

    public TwineTokenProvider(
        IHttpClientFactory httpClientFactory,
        ITwineCredentialsProvider credentials,
        IOptionsMonitor<TwineClientOptions> options,
        TimeProvider time,
        ILogger<TwineTokenProvider> logger)
    {
        _httpClientFactory = httpClientFactory;
        _credentials = credentials;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        Task<CachedToken> pending;
        lock (_gate)
        {
            if (_current is { } current && _time.GetUtcNow() < current.RenewAt)
            {
                return current.AccessToken;
            }

            // Not tied to any one caller's token: a caller that gives up must not fail the others waiting.
            pending = _pending ??= FetchAndStoreAsync();
        }

        var token = await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        return token.AccessToken;
    }

    public void Invalidate(string accessToken)
    {
        lock (_gate)
        {
            // Only the rejected token: another caller may already have renewed it.
            if (_current?.AccessToken == accessToken)
            {
                _current = null;
            }
        }
    }

    /// <summary>Requests a token with the given credentials (no caching): <c>createToken</c>.</summary>
    public Task<TwineResponse<TokenResource>> RequestTokenAsync(TwineCredentials credentials, CancellationToken cancellationToken) =>
        RequestTokenAsync(_httpClientFactory.CreateClient(TwineServiceCollectionExtensions.HttpClientName), credentials, _logger, _time, cancellationToken);

    internal static async Task<TwineResponse<TokenResource>> RequestTokenAsync(HttpClient http, TwineCredentials credentials, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = new TwineRequest<TokenRequestResource>
        {
            Data = new TokenRequestResource
            {
                Attributes = new TokenRequestAttributes
                {
                    GrantType = "client_credentials",
                    ClientId = credentials.ClientId,
                    ClientSecret = credentials.ClientSecret,
                },
            },
        };

        // Retry-safe: a repeated token request only yields another token.
        using var request = TwineHttp.CreateRequest(Operation, HttpMethod.Post, "oauth/token", body, TwineJsonContext.Default.TwineRequestTokenRequestResource, retryable: true);
        var started = time.GetTimestamp();
        using var response = await TwineHttp.SendAsync(http, Operation, request, logger, time, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await TwineHttp.ReadErrorAsync(Operation, response, cancellationToken).ConfigureAwait(false);
            Log.Failed(logger, Operation, (int)response.StatusCode, error.ErrorCode, TwineHttp.ElapsedMs(time, started), error.RequestId);
            throw error;
        }

        var document = await TwineHttp.ReadAsync(Operation, response, TwineJsonContext.Default.TwineResponseTokenResource, cancellationToken).ConfigureAwait(false);
        Log.Succeeded(logger, Operation, (int)response.StatusCode, TwineHttp.ElapsedMs(time, started), document.Meta?.ReqId);
        return document;
    }

    private async Task<CachedToken> FetchAndStoreAsync()
    {
        // Runs after the caller has stored the task in _pending and left the lock.
        await Task.Yield();
        try
        {
            var token = await FetchAsync(CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                _current = token;
                _pending = null;
            }

            return token;
        }
        catch
        {
            lock (_gate)
            {
                _pending = null;
            }

            throw;
        }
    }

    private async Task<CachedToken> FetchAsync(CancellationToken cancellationToken)
    {
        var requestedAt = _time.GetUtcNow();
        var credentials = await _credentials.GetCredentialsAsync(refresh: false, cancellationToken).ConfigureAwait(false);
        TwineResponse<TokenResource> document;
        try
        {
            document = await RequestTokenAsync(credentials, cancellationToken).ConfigureAwait(false);
        }
        catch (TwineApiException ex) when (ex.HasErrorCode(TwineErrorCodes.InvalidCredentials))
        {
            // The secret may have been rotated: read it again, once, before giving up.
            Log.CredentialsRejected(_logger, ex.RequestId);
            credentials = await _credentials.GetCredentialsAsync(refresh: true, cancellationToken).ConfigureAwait(false);
            requestedAt = _time.GetUtcNow();
            document = await RequestTokenAsync(credentials, cancellationToken).ConfigureAwait(false);
        }

        var attributes = document.Data?.Attributes;
        if (string.IsNullOrEmpty(attributes?.AccessToken) || attributes.ExpiresIn is not { } expiresIn)
        {
            throw new TwineApiException(Operation, TwineFailureKind.InvalidResponse, System.Net.HttpStatusCode.Created, null, document.Meta?.ReqId);
        }

        // Counted from when the request was sent, so network time only makes renewal earlier.
        var skew = _options.CurrentValue.TokenRenewalSkew;
        var lifetime = TimeSpan.FromSeconds(expiresIn);
        var renewAt = requestedAt + (lifetime > skew ? lifetime - skew : TimeSpan.Zero);
        Log.TokenIssued(_logger, expiresIn, skew.TotalSeconds);
        return new CachedToken(attributes.AccessToken, renewAt);
    }

    private sealed record CachedToken(string AccessToken, DateTimeOffset RenewAt);
}
