using Azure.Security.KeyVault.Secrets;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client;
using Twine.Client.Auth;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Tests;

public class HostBuilderTests
{
    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddTwineFunctions();
        return builder.Build();
    }

    private static Dictionary<string, string?> LocalSettings() => new()
    {
        ["TwineStorage"] = "UseDevelopmentStorage=true",
        ["PollTwineUpdates:Organization"] = "58c4554710123c5c40dbab81",
        ["Twine:BaseAddress"] = "http://127.0.0.1:5080/pub/",
        ["Twine:ClientId"] = "sandbox-client-id",
        ["Twine:ClientSecret"] = "sandbox-client-secret",
    };

    [Fact]
    public void Host_builds_with_the_apps_services()
    {
        using var host = BuildHost(LocalSettings());

        Assert.NotNull(host.Services.GetRequiredService<TimeProvider>());
        Assert.NotNull(host.Services.GetRequiredService<ITwineClient>());
        host.Services.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void Application_Insights_keeps_Information_logs()
    {
        using var host = BuildHost(LocalSettings());

        var filters = host.Services.GetRequiredService<IOptions<LoggerFilterOptions>>().Value;
        Assert.DoesNotContain(filters.Rules, r => r.ProviderName?.Contains("ApplicationInsights", StringComparison.Ordinal) == true
                                                  && r.LogLevel == LogLevel.Warning);
    }

    [Fact]
    public void Without_a_vault_the_credentials_come_from_settings()
    {
        using var host = BuildHost(LocalSettings());

        Assert.IsType<OptionsTwineCredentialsProvider>(host.Services.GetRequiredService<ITwineCredentialsProvider>());
    }

    [Fact]
    public void With_a_vault_the_credentials_come_from_Key_Vault()
    {
        var settings = LocalSettings();
        settings["TwineSecrets:VaultUri"] = "https://twine-test.vault.azure.net/";
        using var host = BuildHost(settings);

        Assert.IsType<KeyVaultTwineCredentialsProvider>(host.Services.GetRequiredService<ITwineCredentialsProvider>());
    }

    [Fact]
    public void With_a_vault_one_SecretClient_and_one_secret_reader_serve_Twine_credentials_and_partner_secrets()
    {
        var settings = LocalSettings();
        settings["TwineSecrets:VaultUri"] = "https://twine-test.vault.azure.net/";
        settings["Webhooks:Partners:acme:SecretName"] = "webhook-secret-acme";
        using var host = BuildHost(settings);

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Single(host.Services.GetServices<SecretClient>());
        Assert.Single(host.Services.GetServices<CachedSecretReader>());
        Assert.Single(host.Services.GetServices<AppCredential>());
        Assert.Same(host.Services.GetRequiredService<SecretClient>(), host.Services.GetRequiredService<SecretClient>());
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("2.00:00:00")]
    public void A_secret_time_to_live_out_of_range_fails_at_start_with_its_name(string timeToLive)
    {
        var settings = LocalSettings();
        settings["TwineSecrets:CacheTimeToLive"] = timeToLive;
        using var host = BuildHost(settings);

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("CacheTimeToLive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_Twine_base_address_fails_at_start_with_its_name()
    {
        var settings = LocalSettings();
        settings.Remove("Twine:BaseAddress");
        using var host = BuildHost(settings);

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Twine:BaseAddress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_age_out_of_range_fails_at_start_with_its_name()
    {
        var settings = LocalSettings();
        settings["Processing:RetryFor"] = "00:00:05";
        using var host = BuildHost(settings);

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Processing:RetryFor", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ClientId=0b6d3f39-1b0a-4f7c-9f5e-0d2c3e4f5a6b;Authorization=AAD", "0b6d3f39-1b0a-4f7c-9f5e-0d2c3e4f5a6b")]
    [InlineData(" Authorization=aad ; ClientId=abc ", "abc")]
    [InlineData("Authorization=AAD", null)]
    [InlineData("ClientId=abc", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_App_Insights_identity_is_read_from_the_authentication_string(string? setting, string? clientId) =>
        Assert.Equal(clientId, FunctionsAppSetup.ManagedIdentityClientId(setting));
}
