using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Twine.Client.Auth;

namespace Twine.Functions.Platform.Secrets;

public static class SecretsServiceCollectionExtensions
{
    /// <summary>
    /// Twine's client credentials: with <c>TwineSecrets:VaultUri</c> set, from Key Vault through the app's
    /// <see cref="CachedSecretReader"/> (<see cref="AddSecretReader"/>); without it, the Twine client's own
    /// <c>Twine:ClientId</c>/<c>Twine:ClientSecret</c> settings, the embedded default for a laptop. Call before
    /// AddTwineClient.
    /// </summary>
    public static IServiceCollection AddTwineSecrets(this IServiceCollection services, IConfiguration configuration)
    {
        if (!services.AddSecretReader(configuration) || services.Any(d => d.ServiceType == typeof(KeyVaultTwineCredentialsProvider)))
        {
            return services;
        }

        services.AddSingleton<KeyVaultTwineCredentialsProvider>();
        services.AddSingleton<ITwineCredentialsProvider>(sp => sp.GetRequiredService<KeyVaultTwineCredentialsProvider>());
        return services;
    }

    /// <summary>
    /// The app's Key Vault settings (section <c>TwineSecrets</c>, validated at start-up) and, when
    /// <c>TwineSecrets:VaultUri</c> is set, its one <see cref="SecretClient"/> (built with the <see cref="AppCredential"/>)
    /// and one <see cref="CachedSecretReader"/> over it, for every feature that reads a secret. Registering it again
    /// changes nothing. Returns whether a vault is configured.
    /// </summary>
    public static bool AddSecretReader(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(TwineSecretsOptions.SectionName);
        var vaultUri = section.GetValue<Uri?>(nameof(TwineSecretsOptions.VaultUri));
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<TwineSecretsOptions>)))
        {
            return vaultUri is not null; // registered already
        }

        services.AddOptions<TwineSecretsOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TwineSecretsOptions>, TwineSecretsOptionsValidator>();
        services.AddAppCredential(configuration);
        if (vaultUri is null)
        {
            return false;
        }

        services.AddAzureClients(clients =>
            clients.AddSecretClient(vaultUri).WithCredential(sp => sp.GetRequiredService<AppCredential>().Credential));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CachedSecretReader>();
        return true;
    }

    /// <summary>The app's one <see cref="AppCredential"/>; registering it again changes nothing.</summary>
    public static IServiceCollection AddAppCredential(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(new AppCredential(configuration));
        return services;
    }
}
