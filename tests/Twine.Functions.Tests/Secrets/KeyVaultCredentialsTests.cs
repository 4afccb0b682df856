using System.Net;
using Microsoft.Extensions.Time.Testing;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Tests.Secrets;

public sealed class KeyVaultCredentialsTests : IDisposable
{
    private readonly StandInKeyVault _vault = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
    private readonly KeyVaultTwineCredentialsProvider _provider;

    public KeyVaultCredentialsTests()
    {
        _vault.Set("twine-client-id", "id-1");
        _vault.Set("twine-client-secret", "secret-1");
        _provider = _vault.CreateTwineCredentialsProvider(_time,
            new TwineSecretsOptions { VaultUri = StandInKeyVault.VaultUri, CacheTimeToLive = TimeSpan.FromMinutes(10) });
    }

    public void Dispose() => _vault.Dispose();

    [Fact]
    public async Task Reads_both_secrets_and_reuses_them_within_the_time_to_live()
    {
        var first = await _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromMinutes(9));
        var second = await _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken);

        Assert.Equal(("id-1", "secret-1"), (first.ClientId, first.ClientSecret));
        Assert.Equal(first, second);
        Assert.Equal(2, _vault.SecretReads);
    }

    [Fact]
    public async Task Reads_again_once_the_time_to_live_has_passed()
    {
        await _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken);
        _vault.Set("twine-client-secret", "secret-2");
        _time.Advance(TimeSpan.FromMinutes(10));

        var credentials = await _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken);

        Assert.Equal("secret-2", credentials.ClientSecret);
        Assert.Equal(4, _vault.SecretReads);
    }

    [Fact]
    public async Task A_refresh_reads_the_rotated_secret_at_once()
    {
        await _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken);
        _vault.Set("twine-client-secret", "secret-2");

        var stale = await _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken);
        var fresh = await _provider.GetCredentialsAsync(refresh: true, TestContext.Current.CancellationToken);

        Assert.Equal("secret-1", stale.ClientSecret);
        Assert.Equal("secret-2", fresh.ClientSecret);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_read()
    {
        var calls = Enumerable.Range(0, 20)
            .Select(_ => _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken).AsTask());
        var results = await Task.WhenAll(calls);

        Assert.All(results, r => Assert.Equal("secret-1", r.ClientSecret));
        Assert.Equal(2, _vault.SecretReads);
    }

    [Fact]
    public async Task An_unreachable_vault_is_reported_without_a_status_or_any_secret()
    {
        _vault.Unreachable = true;

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(
            () => _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken).AsTask());

        Assert.Null(error.Status);
        Assert.Contains("twine-client-id", error.Message, StringComparison.Ordinal);
        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task A_vault_error_carries_its_status(HttpStatusCode status)
    {
        _vault.FailWith = status;

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(
            () => _provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal((int)status, error.Status);
    }

    [Fact]
    public async Task A_missing_secret_names_the_secret_but_not_a_value()
    {
        var provider = _vault.CreateTwineCredentialsProvider(_time,
            new TwineSecretsOptions { VaultUri = StandInKeyVault.VaultUri, ClientSecretSecretName = "not-there" });

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(
            () => provider.GetCredentialsAsync(refresh: false, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(404, error.Status);
        Assert.Contains("not-there", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("id-1", error.Message, StringComparison.Ordinal);
    }
}
