using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Twine.Client.Auth;

namespace Twine.Functions.Secrets;

public static class SecretsServiceCollectionExtensions
{
    /// <summary>
    /// Twine credentials from Key Vault when <c>TwineSecrets:VaultUri</c> is set (the app's one <see cref="AppCredential"/>:
    /// its managed identity in Azure); otherwise the Twine client's own <c>Twine:ClientId</c>/<c>Twine:ClientSecret</c>
    /// settings, the embedded default for a laptop. Call before AddTwineClient.
    /// </summary>
    public static IServiceCollection AddTwineSecrets(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(TwineSecretsOptions.SectionName);
        services.AddOptions<TwineSecretsOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();

        var vaultUri = section.GetValue<Uri?>(nameof(TwineSecretsOptions.VaultUri));
        if (vaultUri is null)
        {
            return services;
        }

        services.AddAppCredential(configuration);
        services.AddAzureClients(clients =>
            clients.AddSecretClient(vaultUri).WithCredential(sp => sp.GetRequiredService<AppCredential>().Credential));
        services.TryAddSingleton<TimeProvider>(TimeProvider.System);
        services.AddSingleton<KeyVaultTwineCredentialsProvider>();
        services.AddSingleton<ITwineCredentialsProvider>(sp => sp.GetRequiredService<KeyVaultTwineCredentialsProvider>());
        return services;
    }

    /// <summary>The app's one <see cref="AppCredential"/>; registering it again changes nothing.</summary>
    public static IServiceCollection AddAppCredential(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(new AppCredential(configuration));
        return services;
    }
}
