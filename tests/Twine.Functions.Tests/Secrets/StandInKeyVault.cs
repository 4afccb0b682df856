using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;

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

    /// <summary>When set, every request fails this way (a status code, or null for "unreachable").</summary>
    public HttpStatusCode? FailWith { get; set; }

    public bool Unreachable { get; set; }

    public int SecretReads => Volatile.Read(ref _secretReads);

    public void Set(string name, string value) => _secrets[name] = value;

    public SecretClient CreateClient() => new(VaultUri, new StaticTokenCredential(), new SecretClientOptions
    {
        Transport = new HttpClientTransport(new HttpClient(this)),
        // The SDK's retries would wait in real time; these tests are about the provider, not the SDK's back-off.
        Retry = { MaxRetries = 0 },
    });

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
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
            return Task.FromResult(challenge);
        }

        if (FailWith is { } status)
        {
            return Task.FromResult(Json(status, new JsonObject
            {
                ["error"] = new JsonObject { ["code"] = status == HttpStatusCode.Forbidden ? "Forbidden" : "ServiceUnavailable", ["message"] = "stand-in failure" },
            }));
        }

        var segments = request.RequestUri!.AbsolutePath.Trim('/').Split('/');
        if (request.Method != HttpMethod.Get || segments is not ["secrets", var name, ..])
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest));
        }

        Interlocked.Increment(ref _secretReads);
        if (!_secrets.TryGetValue(name, out var value))
        {
            return Task.FromResult(Json(HttpStatusCode.NotFound, new JsonObject
            {
                ["error"] = new JsonObject { ["code"] = "SecretNotFound", ["message"] = $"A secret with (name/id) {name} was not found in this key vault." },
            }));
        }

        return Task.FromResult(Json(HttpStatusCode.OK, new JsonObject
        {
            ["value"] = value,
            ["id"] = $"{VaultUri}secrets/{name}/0123456789abcdef",
            ["attributes"] = new JsonObject { ["enabled"] = true, ["created"] = 1700000000, ["updated"] = 1700000000 },
        }));
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
