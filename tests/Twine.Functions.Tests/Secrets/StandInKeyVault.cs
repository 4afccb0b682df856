using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Tests.Secrets;

/// <summary>
/// Key Vault has no local emulator: this stand-in answers the real <see cref="SecretClient"/>'s HTTP requests
/// (the bearer challenge, then GET /secrets/{name}) from an in-memory dictionary, through the SDK's own transport.
/// </summary>
internal sealed class StandInKeyVault : HttpMessageHandler
{
    public static readonly Uri VaultUri = new("https://twine-test.vault.azure.net/");

    private readonly ConcurrentDictionary<string, string> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private int _secretReads;
    private int _answered;
    private TaskCompletionSource? _hold;
    private TaskCompletionSource _requestHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, every request fails this way (a status code, or null for "unreachable").</summary>
    public HttpStatusCode? FailWith { get; set; }

    public bool Unreachable { get; set; }

    /// <summary>GETs of a secret that were answered 200 or 404 (not those failed by <see cref="FailWith"/>).</summary>
    public int SecretReads => Volatile.Read(ref _secretReads);

    /// <summary>Requests that reached the vault with a token, whatever the answer: every read the client attempted.</summary>
    public int Requests => Volatile.Read(ref _answered);

    /// <summary>Completes when a request is waiting at <see cref="Hold"/>.</summary>
    public Task RequestHeld => Volatile.Read(ref _requestHeld).Task;

    /// <summary>Requests with a token wait until <see cref="Release"/>: a read stays under way while a test starts more callers.</summary>
    public void Hold()
    {
        Volatile.Write(ref _requestHeld, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref _hold, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    public void Release() => Volatile.Read(ref _hold)?.TrySetResult();

    public void Set(string name, string value) => _secrets[name] = value;

    public SecretClient CreateClient() => new(VaultUri, new StaticTokenCredential(), new SecretClientOptions
    {
        Transport = new HttpClientTransport(new HttpClient(this)),
        // The SDK's retries would wait in real time; these tests are about the reader, not the SDK's back-off.
        Retry = { MaxRetries = 0 },
    });

    /// <summary>The app's secret reader over this vault, as AddTwineSecrets builds it.</summary>
    public CachedSecretReader CreateReader(TimeProvider time, TimeSpan? cacheTimeToLive = null) =>
        new(CreateClient(), Options.Create(Settings(cacheTimeToLive)), time, NullLogger<CachedSecretReader>.Instance);

    /// <summary>Twine credentials from this vault under the default secret names (or <paramref name="settings"/>'s).</summary>
    public KeyVaultTwineCredentialsProvider CreateTwineCredentialsProvider(TimeProvider time, TwineSecretsOptions? settings = null)
    {
        settings ??= Settings(null);
        return new(new CachedSecretReader(CreateClient(), Options.Create(settings), time, NullLogger<CachedSecretReader>.Instance), Options.Create(settings));
    }

    private static TwineSecretsOptions Settings(TimeSpan? cacheTimeToLive)
    {
        var settings = new TwineSecretsOptions { VaultUri = VaultUri };
        if (cacheTimeToLive is { } ttl)
        {
            settings.CacheTimeToLive = ttl;
        }

        return settings;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is not null && Volatile.Read(ref _hold) is { } hold)
        {
            Interlocked.Increment(ref _answered);
            Volatile.Read(ref _requestHeld).TrySetResult();
            await hold.Task.WaitAsync(cancellationToken);
        }
        else if (request.Headers.Authorization is not null)
        {
            Interlocked.Increment(ref _answered);
        }

        return Answer(request);
    }

    private HttpResponseMessage Answer(HttpRequestMessage request)
    {
        if (Unreachable)
        {
            throw new HttpRequestException("Connection refused (stand-in vault)");
        }

        if (request.Headers.Authorization is null)
        {
            // Key Vault's challenge: the client learns the authority and resource, then comes back with a token.
            var challenge = new HttpResponseMessage(HttpStatusCode.Unauthorized);
            challenge.Headers.TryAddWithoutValidation(
                "WWW-Authenticate",
                "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"");
            return challenge;
        }

        if (FailWith is { } status)
        {
            return Json(status, new JsonObject
            {
                ["error"] = new JsonObject { ["code"] = status == HttpStatusCode.Forbidden ? "Forbidden" : "ServiceUnavailable", ["message"] = "stand-in failure" },
            });
        }

        var segments = request.RequestUri!.AbsolutePath.Trim('/').Split('/');
        if (request.Method != HttpMethod.Get || segments is not ["secrets", var name, ..])
        {
            return new HttpResponseMessage(HttpStatusCode.BadRequest);
        }

        Interlocked.Increment(ref _secretReads);
        if (!_secrets.TryGetValue(name, out var value))
        {
            return Json(HttpStatusCode.NotFound, new JsonObject
            {
                ["error"] = new JsonObject { ["code"] = "SecretNotFound", ["message"] = $"A secret with (name/id) {name} was not found in this key vault." },
            });
        }

        return Json(HttpStatusCode.OK, new JsonObject
        {
            ["value"] = value,
            ["id"] = $"{VaultUri}secrets/{name}/0123456789abcdef",
            ["attributes"] = new JsonObject { ["enabled"] = true, ["created"] = 1700000000, ["updated"] = 1700000000 },
        });
    }

    private static HttpResponseMessage Json(HttpStatusCode status, JsonNode body) => new(status)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    private sealed class StaticTokenCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("stand-in-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
