using System.ComponentModel.DataAnnotations;

namespace Twine.Functions.Secrets;

/// <summary>
/// Where Twine's client id and secret live. With <see cref="VaultUri"/> set (Azure), they are Key Vault secrets
/// read with the app's managed identity; without it (a laptop), they come from <c>Twine:ClientId</c> and
/// <c>Twine:ClientSecret</c> in local.settings.json.
/// </summary>
public sealed class TwineSecretsOptions
{
    public const string SectionName = "TwineSecrets";

    /// <summary>e.g. https://my-vault.vault.azure.net/; empty means "read the credentials from configuration".</summary>
    public Uri? VaultUri { get; set; }

    [Required]
    public string ClientIdSecretName { get; set; } = "twine-client-id";

    [Required]
    public string ClientSecretSecretName { get; set; } = "twine-client-secret";

    /// <summary>How long secrets read from the vault are reused before being read again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CacheTimeToLive { get; set; } = TimeSpan.FromMinutes(15);
}
