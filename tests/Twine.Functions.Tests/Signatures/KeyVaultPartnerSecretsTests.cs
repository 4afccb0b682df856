using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Secrets;
using static Twine.Functions.Tests.Signatures.SignatureHarness;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Signatures;

/// <summary>Partner secrets read from Key Vault through the real SecretClient (stand-in transport), and from configuration.</summary>
public sealed class KeyVaultPartnerSecretsTests(AzuriteFixture azurite) : IDisposable
{
    private const string Body = "{\"data\":[]}";
    private readonly StandInKeyVault _vault = new();

    public void Dispose() => _vault.Dispose();

    private SignatureHarness VaultHarness(string? secretName = null) =>
        new(new() { ["acme"] = new PartnerOptions { SecretName = secretName } }, _vault.CreateClient(), TimeSpan.FromMinutes(5));

    [Fact]
    public async Task A_partner_without_configured_secrets_is_verified_with_the_vault_secret_webhook_secret_partner()
    {
        _vault.Set("webhook-secret-acme", SecretA);
        using var h = VaultHarness();

        var outcome = await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body);

        Assert.Equal((200, "acme"), (outcome.Status, outcome.Partner));
        Assert.Equal(1, _vault.SecretReads);
    }

    [Fact]
    public async Task A_vault_secret_may_hold_the_current_and_the_previous_secret()
    {
        _vault.Set("partner-acme-signing", SecretB + " " + SecretA);
        using var h = VaultHarness("partner-acme-signing");

        Assert.Equal(200, (await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body)).Status);
        Assert.Equal(200, (await h.CheckAsync(Signed(SecretB, "msg_2", h.Now, Body), Body)).Status);
        (await h.CheckAsync(Signed(SecretC, "msg_3", h.Now, Body), Body)).AssertRefused(WebhookHeaders.SignatureHeader);
    }

    [Fact]
    public async Task Vault_secrets_are_cached_for_the_time_to_live_then_read_again()
    {
        _vault.Set("webhook-secret-acme", SecretA);
        using var h = VaultHarness();

        await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body);
        _vault.Set("webhook-secret-acme", SecretB); // rotated in the vault
        h.Time.Advance(TimeSpan.FromMinutes(4));
        var stillOld = await h.CheckAsync(Signed(SecretA, "msg_2", h.Now, Body), Body);
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var afterTtl = await h.CheckAsync(Signed(SecretB, "msg_3", h.Now, Body), Body);

        Assert.Equal((200, 200), (stillOld.Status, afterTtl.Status));
        Assert.Equal(2, _vault.SecretReads);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task A_vault_failure_answers_503_and_the_next_request_reads_again(HttpStatusCode failure)
    {
        _vault.Set("webhook-secret-acme", SecretA);
        _vault.FailWith = failure;
        using var h = VaultHarness();

        var failed = await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body);
        _vault.FailWith = null;
        var recovered = await h.CheckAsync(Signed(SecretA, "msg_2", h.Now, Body), Body);

        Assert.Equal(503, failed.Status);
        Assert.Equal(200, recovered.Status);
    }

    [Fact]
    public async Task A_missing_or_malformed_vault_secret_answers_503_never_202()
    {
        using var h = VaultHarness();
        var missing = await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body);
        _vault.Set("webhook-secret-acme", "not-a-whsec-secret");
        var malformed = await h.CheckAsync(Signed(SecretA, "msg_2", h.Now, Body), Body);

        Assert.Equal((503, 503), (missing.Status, malformed.Status));
    }

    [Fact]
    public async Task Another_partner_still_verifies_while_one_partners_vault_secret_is_unreadable()
    {
        using var h = new SignatureHarness(new()
        {
            ["acme"] = new PartnerOptions(),                  // vault: webhook-secret-acme (missing)
            ["globex"] = new PartnerOptions { Secrets = [SecretB] },
        }, _vault.CreateClient());

        var outcome = await h.CheckAsync(Signed(SecretB, "msg_1", h.Now, Body), Body);

        Assert.Equal((200, "globex"), (outcome.Status, outcome.Partner));
    }

    [Fact]
    public async Task The_app_wired_with_a_vault_accepts_a_request_signed_with_the_vault_secret()
    {
        _vault.Set("webhook-secret-acme", SecretB);
        await using var app = new TestApp(azurite,
            settings =>
            {
                settings.Remove($"Webhooks:Partners:{TestApp.TestPartner}:Secrets:0");
                settings["TwineSecrets:VaultUri"] = StandInKeyVault.VaultUri.ToString();
                settings["Webhooks:Partners:acme:SecretName"] = "webhook-secret-acme";
            },
            (services, _) => services.AddSingleton(_vault.CreateClient()));
        var body = Encoding.UTF8.GetBytes(Bodies.Metrics(1).ToJsonString());

        using var signedStream = new MemoryStream(body);
        var accepted = await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(app.Sign(body, secret: SecretB), "application/vnd.api+json", null, body.Length, null, signedStream), CancellationToken.None));
        using var testSecretStream = new MemoryStream(body);
        var refused = await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(app.Sign(body), "application/vnd.api+json", null, body.Length, null, testSecretStream), CancellationToken.None));

        Assert.Equal(202, accepted.Status);
        refused.AssertProblem(401);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Secrets_from_configuration_sign_for_their_partner()
    {
        await using var app = new TestApp(azurite, settings =>
        {
            settings["Webhooks:Partners:acme:Secrets:0"] = SecretB;
            settings["Webhooks:Partners:acme:Secrets:1"] = SecretA;
        });
        var body = Encoding.UTF8.GetBytes(Bodies.Metrics(1).ToJsonString());

        foreach (var secret in new[] { SecretA, SecretB, TestApp.TestSecret })
        {
            using var stream = new MemoryStream(body);
            var response = await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(app.Sign(body, secret: secret), "application/vnd.api+json", null, body.Length, null, stream), CancellationToken.None));
            Assert.Equal(202, response.Status);
        }

        Assert.Equal(3, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Theory]
    [InlineData("Webhooks:Partners:acme:Secrets:0", "whsec_c2hvcnQ=", "Webhooks:Partners:acme:Secrets:0")]
    [InlineData("Webhooks:Partners:acme:Secrets:0", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "Webhooks:Partners:acme:Secrets:0")]
    [InlineData("Webhooks:Partners:acme:SecretName", "webhook-secret-acme", "TwineSecrets:VaultUri")]
    [InlineData("Webhooks:Partners:acme_corp:Secrets:0", SecretA, "Webhooks:Partners:acme_corp")]
    [InlineData("Webhooks:CacheTimeToLive", "00:10:00", "TwineSecrets:CacheTimeToLive")] // retired: refused, not ignored
    public async Task Bad_webhook_settings_fail_at_start_up_naming_the_setting(string key, string value, string named)
    {
        await using var app = new TestApp(azurite, settings => settings[key] = value);

        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<WebhooksOptions>>().Value);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value.Length > 20 ? value : "\u0000", error.Message, StringComparison.Ordinal); // never the secret itself
    }
}
