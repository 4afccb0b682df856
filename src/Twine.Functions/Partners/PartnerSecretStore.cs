using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Partners;

/// <summary>
/// Each configured partner's signing keys: from configuration, or the Key Vault secret
/// <see cref="PartnerOptions.SecretName"/> (default <c>webhook-secret-&lt;partner&gt;</c>) read through the app's
/// <see cref="CachedSecretReader"/> (cached for <c>TwineSecrets:CacheTimeToLive</c>; a failed or malformed read is not
/// cached, so the next request reads again). A signature that matches no key does not force a read: anyone can send one.
/// </summary>
public sealed class PartnerSecretStore(IOptions<WebhooksOptions> options, CachedSecretReader? vault)
{
    private IReadOnlyList<(string Partner, IReadOnlyList<byte[]> Keys)>? _configured;

    public IEnumerable<string> Partners => options.Value.Partners.Keys;

    /// <summary>The partner's keys (current and previous); throws <see cref="SecretUnavailableException"/> when the vault fails.</summary>
    public async ValueTask<IReadOnlyList<byte[]>> GetKeysAsync(string partner, CancellationToken cancellationToken)
    {
        var settings = options.Value.Partners[partner];
        if (settings.Secrets.Any(s => !string.IsNullOrWhiteSpace(s)))
        {
            return Configured().First(p => p.Partner.Equals(partner, StringComparison.OrdinalIgnoreCase)).Keys;
        }

        var name = settings.SecretName ?? PartnerOptions.DefaultSecretName(partner);
        if (vault is null)
        {
            throw new SecretUnavailableException(
                $"Key Vault secret '{name}' cannot be read: TwineSecrets:VaultUri is not set.", name, null, SecretUnavailableException.NoVault);
        }

        return await vault.GetAsync(name, ParseKeys, refresh: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A vault secret's value: one <c>whsec_</c> secret or several separated by spaces.</summary>
    private static IReadOnlyList<byte[]> ParseKeys(string value) =>
        WebhookSecret.TryParseList(value, out var keys)
            ? keys
            : throw new FormatException("it does not hold whsec_ secrets separated by spaces.");

    private IReadOnlyList<(string Partner, IReadOnlyList<byte[]> Keys)> Configured() =>
        _configured ??= options.Value.Partners
            .Select(p => (p.Key, (IReadOnlyList<byte[]>)p.Value.Secrets
                .Where(s => !string.IsNullOrWhiteSpace(s))
                .Select(s => WebhookSecret.TryParse(s.Trim(), out var key) ? key : throw new InvalidOperationException($"Webhooks:Partners:{p.Key}:Secrets holds a malformed secret."))
                .ToList()))
            .ToList();
}
