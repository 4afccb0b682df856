using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// Email addresses are patient data: they are never stored in clear. With a key the row keeps HMAC-SHA256(key, trimmed
/// lower-case address) in hex, so an operator holding the key can check "was it sent to this address?" while the table
/// alone reveals nothing (a plain hash of an address is easy to reverse by guessing). Without a key nothing about the
/// address is stored. The key comes from Key Vault when <c>PollTwineUpdates__EmailHashKeySecretName</c> is set (read
/// like every other secret: cached, refreshed after its time to live, so a rotation is picked up without a restart),
/// else from the setting <c>PollTwineUpdates__EmailHashKey</c> (a laptop).
/// </summary>
public sealed class EmailAddressHasher(IOptions<PollingOptions> options, CachedSecretReader? vault = null)
{
    /// <summary>The fewest bytes a key may have.</summary>
    public const int MinKeyBytes = 32;

    private readonly PollingOptions _options = options.Value;
    private readonly EmailHashKey _fromSettings = new(options.Value.EmailHashKeyBytes(), "app settings");

    /// <summary>Where the key is configured to come from, for health and logs (never the key).</summary>
    public string Source => string.IsNullOrWhiteSpace(_options.EmailHashKeySecretName)
        ? _fromSettings.Bytes is null ? "none" : "app settings"
        : $"Key Vault secret '{_options.EmailHashKeySecretName}'";

    /// <summary>The key to hash with now (<see cref="EmailHashKey.None"/> when none is configured).</summary>
    /// <exception cref="SecretUnavailableException">The vault secret is named but cannot be read or is not a valid key.</exception>
    public async ValueTask<EmailHashKey> GetKeyAsync(CancellationToken cancellationToken)
    {
        var name = _options.EmailHashKeySecretName;
        if (string.IsNullOrWhiteSpace(name))
        {
            return _fromSettings;
        }

        if (vault is null)
        {
            throw new SecretUnavailableException(
                $"The email hash key secret '{name}' is named but no vault is configured (TwineSecrets__VaultUri).", name, null, SecretUnavailableException.NoVault);
        }

        return await vault.GetAsync(name, ParseKey, refresh: false, cancellationToken).ConfigureAwait(false);
    }

    public static string? Hash(EmailHashKey key, string? emailAddress)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Bytes is null || string.IsNullOrWhiteSpace(emailAddress))
        {
            return null;
        }

        var normalized = emailAddress.Trim().ToLowerInvariant();
        return Convert.ToHexStringLower(HMACSHA256.HashData(key.Bytes, Encoding.UTF8.GetBytes(normalized)));
    }

    private static EmailHashKey ParseKey(string value)
    {
        var bytes = new byte[value.Length];
        return Convert.TryFromBase64String(value.Trim(), bytes, out var written) && written >= MinKeyBytes
            ? new EmailHashKey(bytes[..written], "Key Vault")
            : throw new FormatException($"The email hash key must be base64 of at least {MinKeyBytes} random bytes.");
    }
}

/// <summary>A key for <see cref="EmailAddressHasher.Hash"/>; <see cref="Bytes"/> null means addresses are not stored.</summary>
public sealed record EmailHashKey(byte[]? Bytes, string Source)
{
    public static readonly EmailHashKey None = new(null, "none");
}
