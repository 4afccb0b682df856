using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Http;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Tests.Signatures;

/// <summary>A verifier over given partners and a fake clock, and a one-call "check headers, then the body" as the handlers do.</summary>
internal sealed class SignatureHarness : IDisposable
{
    public const string SecretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    public const string SecretB = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=";
    public const string SecretC = "whsec_dGhpcmQtc2VjcmV0LWJlbG9uZ2luZy10by1ub2JvZHk=";

    private readonly PartnerSecretStore _store;

    public SignatureHarness(Dictionary<string, PartnerOptions> partners, SecretClient? vault = null, TimeSpan? cacheTimeToLive = null, DateTimeOffset? now = null)
    {
        Time = new FakeTimeProvider(now ?? new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        var options = new WebhooksOptions { Partners = new(partners, StringComparer.OrdinalIgnoreCase) };
        var secrets = new TwineSecretsOptions { VaultUri = vault?.VaultUri };
        if (cacheTimeToLive is { } ttl)
        {
            secrets.CacheTimeToLive = ttl;
        }

        var reader = vault is null ? null : new CachedSecretReader(vault, Options.Create(secrets), Time, NullLogger<CachedSecretReader>.Instance);
        _store = new PartnerSecretStore(Options.Create(options), reader);
        Verifier = new WebhookVerifier(_store, Time, NullLogger<WebhookVerifier>.Instance);
    }

    public static SignatureHarness WithPartner(string partner, params string[] secrets) =>
        new(new() { [partner] = new PartnerOptions { Secrets = [.. secrets] } });

    public FakeTimeProvider Time { get; }
    public WebhookVerifier Verifier { get; }

    public long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    public static WebhookHeaders Signed(string secret, string id, long timestamp, string body) =>
        new(id, timestamp.ToString(CultureInfo.InvariantCulture), WebhookSecret.Sign(secret, id, timestamp, Encoding.UTF8.GetBytes(body)));

    /// <summary>What a handler would decide: the partner (accepted) or the status and the header the problem names.</summary>
    public async Task<Outcome> CheckAsync(WebhookHeaders headers, string body)
    {
        if (Verifier.CheckHeaders(headers, "/api/metrics") is { } early)
        {
            return Outcome.Of(early);
        }

        var result = await Verifier.VerifyAsync(headers, Encoding.UTF8.GetBytes(body), "/api/metrics", CancellationToken.None);
        return result.Problem is { } problem ? Outcome.Of(problem) : new Outcome(200, null, result.Partner);
    }

    /// <summary>Nothing to release any more (the vault's reader holds no lock object); kept so that tests may <c>using</c> a harness.</summary>
    public void Dispose()
    {
    }

    internal sealed record Outcome(int Status, string? Header, string? Partner)
    {
        public static Outcome Of(BodyResult problem)
        {
            var json = JsonNode.Parse(problem.Body.Span)!;
            Assert.Equal("application/problem+json", problem.ContentType);
            return new Outcome(problem.StatusCode, json["errors"]?[0]?["header"]?.GetValue<string>(), null);
        }

        public void AssertRefused(string header)
        {
            Assert.Equal(401, Status);
            Assert.Equal(header, Header);
        }
    }
}
