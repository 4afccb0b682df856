using Microsoft.Extensions.Options;

namespace Twine.Client.Auth;

/// <summary>OAuth client credentials for Twine.</summary>
public sealed record TwineCredentials(string ClientId, string ClientSecret)
{
    // Records print every property; the secret must not reach a log.
    public override string ToString() => $"TwineCredentials {{ ClientId = {ClientId} }}";
}

/// <summary>
/// Where the client credentials come from (configuration now, a Key Vault secret later).
/// </summary>
public interface ITwineCredentialsProvider
{
    /// <summary>
    /// Returns the credentials. <paramref name="refresh"/> is true after Twine rejected the last ones
    /// (InvalidCredentials): bypass any cache so a rotated secret is picked up without a restart.
    /// </summary>
    ValueTask<TwineCredentials> GetCredentialsAsync(bool refresh, CancellationToken cancellationToken);
}

/// <summary>Credentials from <see cref="TwineClientOptions.ClientId"/> and <see cref="TwineClientOptions.ClientSecret"/> (reloaded with the configuration).</summary>
public sealed class OptionsTwineCredentialsProvider(IOptionsMonitor<TwineClientOptions> options) : ITwineCredentialsProvider
{
    public ValueTask<TwineCredentials> GetCredentialsAsync(bool refresh, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        if (string.IsNullOrEmpty(current.ClientId) || string.IsNullOrEmpty(current.ClientSecret))
        {
            throw new InvalidOperationException(
                $"{TwineClientOptions.SectionName}:{nameof(TwineClientOptions.ClientId)} and {TwineClientOptions.SectionName}:{nameof(TwineClientOptions.ClientSecret)} are required when no other ITwineCredentialsProvider is registered.");
        }

        return ValueTask.FromResult(new TwineCredentials(current.ClientId, current.ClientSecret));
    }
}
