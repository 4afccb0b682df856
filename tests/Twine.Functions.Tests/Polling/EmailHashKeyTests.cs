using System.Security.Cryptography;
using System.Text;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Secrets;
using static Twine.Functions.Tests.Polling.PollingHarness;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.Tests.Polling;

/// <summary>
/// The email hash key read from Key Vault by name (PollTwineUpdates__EmailHashKeySecretName), like the other secrets:
/// when it cannot be read only email-history polling stops, with a health entry saying why; calendar polling and the
/// webhooks go on, and no address is ever stored unhashed.
/// </summary>
public sealed class EmailHashKeyTests(AzuriteFixture azurite) : IDisposable
{
    private const string SecretName = "email-hash-key";
    private static readonly byte[] VaultKey = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
    private readonly StandInKeyVault _vault = new();

    public void Dispose() => _vault.Dispose();

    /// <summary>The app reading its secrets from the stand-in vault: Twine's credentials and the email hash key.</summary>
    private Task<PollingHarness> StartWithVaultAsync() =>
        StartAsync(azurite,
            polling =>
            {
                polling["EmailHashKey"] = HashKey; // the laptop setting: the vault secret wins over it
                polling["EmailHashKeySecretName"] = SecretName;
            },
            appSettings: all => all["TwineSecrets:VaultUri"] = StandInKeyVault.VaultUri.ToString(),
            register: services => services.AddSingleton<SecretClient>(_vault.CreateClient()));

    private void SetTwineCredentials(PollingHarness h)
    {
        _vault.Set("twine-client-id", h.Sandbox.ClientId);
        _vault.Set("twine-client-secret", h.Sandbox.ClientSecret);
    }

    private static async Task<string> HealthOfAsync(PollingHarness h, string check)
    {
        var report = await h.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync(Ct);
        var entry = report.Entries[check];
        return $"{entry.Status}: {entry.Description}";
    }

    [Fact]
    public async Task The_key_in_the_vault_hashes_the_addresses()
    {
        await using var h = await StartWithVaultAsync();
        SetTwineCredentials(h);
        _vault.Set(SecretName, Convert.ToBase64String(VaultKey));
        var id = h.Sandbox.AddEmailHistory(Coach, Patient, h.Time.GetUtcNow().AddMinutes(-2));

        await h.PollAsync();

        var row = Assert.Single(await h.EmailRowsAsync(), r => r.RowKey == id);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(VaultKey, Encoding.UTF8.GetBytes($"sandbox-{id}@example.com")));
        Assert.Equal(expected, row.GetString("EmailAddressHash"));
        Assert.StartsWith("Healthy: email hash key readable from Key Vault secret 'email-hash-key'", await HealthOfAsync(h, "email-hash-key"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "could not be read: 404")]
    [InlineData("c2hvcnQ=", "malformed")] // base64 of 5 bytes: too short to be a key
    public async Task A_missing_or_bad_key_stops_only_the_email_streams_and_health_says_why(string? secret, string why)
    {
        await using var h = await StartWithVaultAsync();
        SetTwineCredentials(h);
        if (secret is not null)
        {
            _vault.Set(SecretName, secret);
        }

        h.Sandbox.AddEmailHistory(Coach, Patient, h.Time.GetUtcNow().AddMinutes(-2));

        var result = await h.PollAsync();

        Assert.Equal(StreamOutcome.CaughtUp, Assert.Single(result.Streams, s => s.Stream == CalendarEventPoller.StreamName(Organization)).Outcome);
        Assert.All(result.Streams.Where(s => s.Stream.StartsWith("email_history.", StringComparison.Ordinal)),
            s => Assert.Equal(StreamOutcome.NotConfigured, s.Outcome));
        Assert.Equal(2, result.Streams.Count(s => s.Outcome == StreamOutcome.NotConfigured)); // both configured coaches
        Assert.Empty(await h.EmailRowsAsync()); // nothing stored unhashed

        var health = await HealthOfAsync(h, "email-hash-key");
        Assert.StartsWith("Unhealthy: email history not polled", health, StringComparison.Ordinal);
        Assert.Contains(SecretName, health, StringComparison.Ordinal);
        Assert.Contains(why, health, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("Healthy", await HealthOfAsync(h, "trigger-settings"), StringComparison.Ordinal);

        // The webhooks are not affected.
        Assert.Equal(202, (await h.App.PostMetricsAsync(Bodies.Metrics(1))).Status);
    }

    [Fact]
    public async Task A_secret_name_without_a_vault_is_reported_not_fatal()
    {
        await using var h = await StartAsync(azurite, polling => polling["EmailHashKeySecretName"] = SecretName);

        var result = await h.PollAsync();

        Assert.Contains(result.Streams, s => s.Outcome == StreamOutcome.NotConfigured);
        Assert.Contains("no vault is configured", await HealthOfAsync(h, "email-hash-key"), StringComparison.Ordinal);
    }
}
