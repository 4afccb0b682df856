using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client.Auth;

namespace Twine.Functions.Secrets;

/// <summary>
/// Twine's client credentials from two Key Vault secrets, cached for <see cref="TwineSecretsOptions.CacheTimeToLive"/>.
/// After Twine answers InvalidCredentials the client asks again with refresh: the vault is read at once, so a rotated
/// secret is used without a restart. Concurrent callers share one read.
/// </summary>
public sealed partial class KeyVaultTwineCredentialsProvider(
    SecretClient secrets,
    IOptions<TwineSecretsOptions> options,
    TimeProvider time,
    ILogger<KeyVaultTwineCredentialsProvider> logger) : ITwineCredentialsProvider, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TwineCredentials? _cached;
    private DateTimeOffset _readAt;

    public async ValueTask<TwineCredentials> GetCredentialsAsync(bool refresh, CancellationToken cancellationToken)
    {
        var readBefore = _readAt;
        if (!refresh && Fresh() is { } cached)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have read the vault while this one waited: a refresh is satisfied by any read
            // that started after the refresh was asked for, a normal call by any fresh value.
            if (_cached is not null && (refresh ? _readAt > readBefore : Fresh() is not null))
            {
                return _cached;
            }

            var settings = options.Value;
            var clientId = await ReadAsync(settings.ClientIdSecretName, cancellationToken).ConfigureAwait(false);
            var clientSecret = await ReadAsync(settings.ClientSecretSecretName, cancellationToken).ConfigureAwait(false);
            _cached = new TwineCredentials(clientId, clientSecret);
            _readAt = time.GetUtcNow();
            Log.SecretsRead(logger, secrets.VaultUri.Host, refresh);
            return _cached;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private TwineCredentials? Fresh() =>
        _cached is not null && time.GetUtcNow() - _readAt < options.Value.CacheTimeToLive ? _cached : null;

    private async Task<string> ReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            KeyVaultSecret secret = await secrets.GetSecretAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(secret.Value))
            {
                throw new TwineCredentialsUnavailableException($"Key Vault secret '{name}' in {secrets.VaultUri.Host} is empty.", null, null);
            }

            return secret.Value;
        }
        catch (RequestFailedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var status = ex.Status == 0 ? (int?)null : ex.Status;
            Log.SecretReadFailed(logger, name, secrets.VaultUri.Host, ex.Status, ex.ErrorCode);
            throw new TwineCredentialsUnavailableException(
                $"Key Vault secret '{name}' in {secrets.VaultUri.Host} could not be read: {(status is null ? "vault unreachable" : $"{ex.Status} {ex.ErrorCode}")}.",
                status,
                ex);
        }
        catch (Exception ex) when (ex is not TwineCredentialsUnavailableException and not OperationCanceledException)
        {
            // Transport failures the SDK did not wrap (e.g. the identity endpoint unreachable).
            Log.SecretReadFailed(logger, name, secrets.VaultUri.Host, 0, ex.GetType().Name);
            throw new TwineCredentialsUnavailableException(
                $"Key Vault secret '{name}' in {secrets.VaultUri.Host} could not be read: {ex.GetType().Name}.", null, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Twine credentials read from Key Vault {VaultHost} (refresh: {Refresh})")]
        public static partial void SecretsRead(ILogger logger, string vaultHost, bool refresh);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Key Vault secret {SecretName} in {VaultHost} could not be read: status {Status}, code {ErrorCode}")]
        public static partial void SecretReadFailed(ILogger logger, string secretName, string vaultHost, int status, string? errorCode);
    }
}
