using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Partners;

/// <summary>
/// Section <c>Webhooks</c>: the partners allowed to call the write endpoints and where their signing secrets live.
/// A partner lists its secrets in configuration (<c>Webhooks:Partners:acme:Secrets:0</c> = <c>whsec_…</c>, a laptop)
/// or has them read from the Key Vault named by <c>TwineSecrets:VaultUri</c>, secret <see cref="PartnerOptions.SecretName"/>
/// (default <c>webhook-secret-&lt;partner&gt;</c>), whose value is one <c>whsec_</c> secret or several separated by spaces.
/// </summary>
public sealed class WebhooksOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// The setting this section had for how long vault secrets are cached; every secret now shares
    /// <c>TwineSecrets:CacheTimeToLive</c>, and a start-up check refuses this one instead of ignoring it.
    /// </summary>
    public const string RetiredCacheTimeToLiveKey = SectionName + ":CacheTimeToLive";

    public Dictionary<string, PartnerOptions> Partners { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class PartnerOptions
{
    /// <summary>Secrets in configuration (current first, then the previous one during a rotation).</summary>
    public List<string> Secrets { get; set; } = [];

    /// <summary>The Key Vault secret holding this partner's secrets when <see cref="Secrets"/> is empty.</summary>
    public string? SecretName { get; set; }

    public static string DefaultSecretName(string partner) => "webhook-secret-" + partner.ToLowerInvariant();
}

/// <summary>
/// Start-up checks across settings: partner names, every configured secret well formed, a vault for partners without
/// one, and no retired <c>Webhooks:CacheTimeToLive</c> (<paramref name="retiredCacheTimeToLiveSet"/>).
/// </summary>
public sealed partial class WebhooksOptionsValidator(bool vaultConfigured, bool retiredCacheTimeToLiveSet = false) : IValidateOptions<WebhooksOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhooksOptions options)
    {
        var failures = new List<string>();
        if (retiredCacheTimeToLiveSet)
        {
            failures.Add($"{WebhooksOptions.RetiredCacheTimeToLiveKey} is no longer read: set TwineSecrets:CacheTimeToLive (default 00:05:00), the time to live of every Key Vault secret, and remove it.");
        }

        foreach (var (partner, settings) in options.Partners)
        {
            var prefix = $"Webhooks:Partners:{partner}";
            if (!PartnerName().IsMatch(partner))
            {
                failures.Add($"{prefix}: a partner name is 1 to 64 letters, digits or dashes.");
            }

            var configured = settings.Secrets.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
            for (var i = 0; i < configured.Count; i++)
            {
                if (!WebhookSecret.TryParse(configured[i].Trim(), out _))
                {
                    failures.Add($"{prefix}:Secrets:{i} must be whsec_ followed by the base64 of {WebhookSecret.MinKeyBytes} to {WebhookSecret.MaxKeyBytes} bytes.");
                }
            }

            if (configured.Count == 0 && !vaultConfigured)
            {
                failures.Add($"{prefix}:Secrets is empty and TwineSecrets:VaultUri is not set: the partner's secrets can come from neither.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex PartnerName();
}
