using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Webhooks;

/// <summary>
/// Each configured partner's signing keys: from configuration, or read from Key Vault (the SecretClient registered
/// with <c>TwineSecrets:VaultUri</c>) and cached for <see cref="WebhooksOptions.CacheTimeToLive"/>. A failed vault read
/// is not cached, so the next request tries again.
/// </summary>
public sealed partial class PartnerSecretStore(
    IOptions<WebhooksOptions> options,
    SecretClient? vault,
    TimeProvider time,
    ILogger<PartnerSecretStore> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    // Read without the gate (the fast path) while a vault read may write it under the gate: a concurrent dictionary.
    private readonly ConcurrentDictionary<string, (IReadOnlyList<byte[]> Keys, DateTimeOffset ReadAt)> _cache = new(StringComparer.OrdinalIgnoreCase);
    private IReadOnlyList<(string Partner, IReadOnlyList<byte[]> Keys)>? _configured;

    public IEnumerable<string> Partners => options.Value.Partners.Keys;

    /// <summary>The partner's keys (current and previous); throws <see cref="PartnerSecretsUnavailableException"/> when the vault fails.</summary>
    public async ValueTask<IReadOnlyList<byte[]>> GetKeysAsync(string partner, CancellationToken cancellationToken)
    {
        var settings = options.Value.Partners[partner];
        var configured = settings.Secrets.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        if (configured.Count > 0)
        {
            return Configured().First(p => p.Partner.Equals(partner, StringComparison.OrdinalIgnoreCase)).Keys;
        }

        if (Fresh(partner) is { } fresh)
        {
            return fresh;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(partner) is { } readMeanwhile)
            {
                return readMeanwhile;
            }

            var keys = await ReadVaultAsync(settings.SecretName ?? PartnerOptions.DefaultSecretName(partner), cancellationToken).ConfigureAwait(false);
            _cache[partner] = (keys, time.GetUtcNow());
            return keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private IReadOnlyList<(string Partner, IReadOnlyList<byte[]> Keys)> Configured() =>
        _configured ??= options.Value.Partners
            .Select(p => (p.Key, (IReadOnlyList<byte[]>)p.Value.Secrets
                .Where(s => !string.IsNullOrWhiteSpace(s))
                .Select(s => WebhookSecret.TryParse(s.Trim(), out var key) ? key : throw new InvalidOperationException($"Webhooks:Partners:{p.Key}:Secrets holds a malformed secret."))
                .ToList()))
            .ToList();

    private IReadOnlyList<byte[]>? Fresh(string partner) =>
        _cache.TryGetValue(partner, out var entry) && time.GetUtcNow() - entry.ReadAt < options.Value.CacheTimeToLive ? entry.Keys : null;

    private async Task<IReadOnlyList<byte[]>> ReadVaultAsync(string name, CancellationToken cancellationToken)
    {
        if (vault is null)
        {
            throw new PartnerSecretsUnavailableException($"Key Vault secret '{name}' cannot be read: TwineSecrets:VaultUri is not set.");
        }

        string? value;
        try
        {
            KeyVaultSecret secret = await vault.GetSecretAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            value = secret.Value;
        }
        catch (RequestFailedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogReadFailed(name, vault.VaultUri.Host, ex.Status, ex.ErrorCode);
            throw new PartnerSecretsUnavailableException($"Key Vault secret '{name}' could not be read ({ex.Status}).", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReadFailed(name, vault.VaultUri.Host, 0, ex.GetType().Name);
            throw new PartnerSecretsUnavailableException($"Key Vault secret '{name}' could not be read ({ex.GetType().Name}).", ex);
        }

        if (!WebhookSecret.TryParseList(value, out var keys))
        {
            LogReadFailed(name, vault.VaultUri.Host, 200, "MalformedWebhookSecret");
            throw new PartnerSecretsUnavailableException($"Key Vault secret '{name}' does not hold whsec_ secrets separated by spaces.");
        }

        LogRead(name, vault.VaultUri.Host, keys.Count);
        return keys;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Webhook secret {SecretName} read from Key Vault {VaultHost}: {KeyCount} keys")]
    private partial void LogRead(string secretName, string vaultHost, int keyCount);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Webhook secret {SecretName} in {VaultHost} could not be read: status {Status}, code {ErrorCode}")]
    private partial void LogReadFailed(string secretName, string vaultHost, int status, string? errorCode);
}

/// <summary>A partner's signing secrets could not be read; the request is answered 503 (retry later), never accepted.</summary>
public sealed class PartnerSecretsUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
