using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Secrets;

/// <summary>
/// The app's Key Vault (section <c>TwineSecrets</c>): Twine's client id and secret, and partners' webhook signing
/// secrets (<c>Webhooks:Partners:&lt;partner&gt;:SecretName</c>). With <see cref="VaultUri"/> set (Azure), they are Key
/// Vault secrets read with the app's managed identity through <see cref="CachedSecretReader"/>; without it (a laptop),
/// they come from <c>Twine:ClientId</c>, <c>Twine:ClientSecret</c> and <c>Webhooks:Partners:&lt;partner&gt;:Secrets</c>
/// in local.settings.json.
/// </summary>
public sealed class TwineSecretsOptions
{
    public const string SectionName = "TwineSecrets";

    /// <summary>e.g. https://my-vault.vault.azure.net/; empty means "read the secrets from configuration".</summary>
    public Uri? VaultUri { get; set; }

    [Required]
    public string ClientIdSecretName { get; set; } = "twine-client-id";

    [Required]
    public string ClientSecretSecretName { get; set; } = "twine-client-secret";

    /// <summary>
    /// How long a secret read from the vault is reused before being read again; the same for every secret. Twine's
    /// credentials are also read again at once when Twine refuses them; a partner's rotated signing secret is picked
    /// up within this time (a failed signature does not force a read: anyone can send one).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CacheTimeToLive { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>The data annotations of <see cref="TwineSecretsOptions"/>, checked by generated code at start-up.</summary>
[OptionsValidator]
public sealed partial class TwineSecretsOptionsValidator : IValidateOptions<TwineSecretsOptions>;
