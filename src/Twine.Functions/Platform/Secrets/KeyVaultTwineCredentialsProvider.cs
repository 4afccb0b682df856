using Microsoft.Extensions.Options;
using Twine.Client.Auth;

namespace Twine.Functions.Platform.Secrets;

/// <summary>
/// Twine's client credentials from two Key Vault secrets (<see cref="TwineSecretsOptions.ClientIdSecretName"/>,
/// <see cref="TwineSecretsOptions.ClientSecretSecretName"/>), through the app's <see cref="CachedSecretReader"/>: cached,
/// shared by concurrent callers, and read again at once when the Twine client asks with refresh after Twine answered
/// InvalidCredentials, so a rotated secret is used without a restart. Throws <see cref="SecretUnavailableException"/>.
/// </summary>
public sealed class KeyVaultTwineCredentialsProvider(CachedSecretReader secrets, IOptions<TwineSecretsOptions> options) : ITwineCredentialsProvider
{
    public async ValueTask<TwineCredentials> GetCredentialsAsync(bool refresh, CancellationToken cancellationToken)
    {
        var names = options.Value;
        var clientId = await secrets.GetAsync(names.ClientIdSecretName, refresh, cancellationToken).ConfigureAwait(false);
        var clientSecret = await secrets.GetAsync(names.ClientSecretSecretName, refresh, cancellationToken).ConfigureAwait(false);
        return new TwineCredentials(clientId, clientSecret);
    }
}
