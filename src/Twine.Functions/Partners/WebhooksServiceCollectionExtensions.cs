using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Partners;

public static class WebhooksServiceCollectionExtensions
{
    /// <summary>
    /// Partner signature verification for the write endpoints (section <c>Webhooks</c>). Secrets not listed in
    /// configuration are read with the app's <see cref="CachedSecretReader"/>
    /// (<see cref="SecretsServiceCollectionExtensions.AddSecretReader"/>) when <c>TwineSecrets:VaultUri</c> is set.
    /// Validated at start-up.
    /// </summary>
    public static IServiceCollection AddPartnerSignatures(this IServiceCollection services, IConfiguration configuration)
    {
        var vaultConfigured = services.AddSecretReader(configuration);
        var retiredCacheTimeToLiveSet = configuration[WebhooksOptions.RetiredCacheTimeToLiveKey] is not null;
        services.AddOptions<WebhooksOptions>().Bind(configuration.GetSection(WebhooksOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhooksOptions>>(
            new WebhooksOptionsValidator(vaultConfigured, retiredCacheTimeToLiveSet)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PartnerSecretStore(
            sp.GetRequiredService<IOptions<WebhooksOptions>>(),
            sp.GetService<CachedSecretReader>()));
        services.TryAddSingleton<WebhookVerifier>();
        return services;
    }
}
