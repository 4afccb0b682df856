using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Secrets;

/// <summary>
/// The app's one reader of Key Vault secrets (the vault of <c>TwineSecrets:VaultUri</c>), used for Twine's client
/// credentials and for partners' webhook signing secrets. Per secret name:
/// <list type="bullet">
/// <item>a value read is reused for <see cref="TwineSecretsOptions.CacheTimeToLive"/> (time from <see cref="TimeProvider"/>);</item>
/// <item>single flight: callers that find no fresh value while a read is under way wait for that read, its value or
/// its failure, instead of starting their own;</item>
/// <item><c>refresh: true</c> skips the cache (Twine answered InvalidCredentials): it is satisfied by a read newer than
/// the value cached when it was asked, so concurrent refreshes share one read too;</item>
/// <item>a failed read (vault error or unreachable, secret missing, empty, or not what the caller's parser accepts) is
/// not cached, so the next call reads again; it throws <see cref="SecretUnavailableException"/>.</item>
/// </list>
/// A read, once started, belongs to no single caller: it runs to its end even if the caller that started it gives up
/// (each caller's cancellation token ends only its own wait).
/// </summary>
public sealed partial class CachedSecretReader(
    SecretClient vault,
    IOptions<TwineSecretsOptions> options,
    TimeProvider time,
    ILogger<CachedSecretReader> logger)
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The vault's host name, for messages and logs.</summary>
    public string VaultHost => vault.VaultUri.Host;

    /// <summary>The secret's value (never empty).</summary>
    public ValueTask<string> GetAsync(string name, bool refresh, CancellationToken cancellationToken) =>
        GetAsync(name, static value => value, refresh, cancellationToken);

    /// <summary>
    /// The secret's value as <paramref name="parse"/> makes it; the parsed value is what is cached. A parser refuses a
    /// value by throwing <see cref="FormatException"/> whose message says what was expected, never the value. A secret
    /// name is read as one type throughout the app.
    /// </summary>
    public async ValueTask<T> GetAsync<T>(string name, Func<string, T> parse, bool refresh, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parse);

        var slot = _slots.GetOrAdd(name, static _ => new Slot());
        var known = slot.Current;
        if (!refresh && known is not null && IsFresh(known))
        {
            return As<T>(known, name);
        }

        Task<Value> read;
        TaskCompletionSource<Value>? started = null;
        lock (slot.Gate)
        {
            var current = slot.Current;
            if (current is not null && (refresh ? current.Number > (known?.Number ?? 0) : IsFresh(current)))
            {
                return As<T>(current, name); // read meanwhile by another caller
            }

            if (slot.Reading is null)
            {
                started = new TaskCompletionSource<Value>(TaskCreationOptions.RunContinuationsAsynchronously);
                slot.Reading = started.Task;
            }

            read = slot.Reading;
        }

        if (started is not null)
        {
            // Outside the lock; completes `started` with the value or the failure and never throws itself.
            _ = ReadAsync(slot, name, parse, refresh, started);
        }

        return As<T>(await read.WaitAsync(cancellationToken).ConfigureAwait(false), name);
    }

    private bool IsFresh(Value value) => time.GetUtcNow() - value.ReadAt < options.Value.CacheTimeToLive;

    private static T As<T>(Value value, string name) where T : class =>
        value.Parsed as T ?? throw new InvalidOperationException(
            $"Key Vault secret '{name}' is cached as {value.Parsed.GetType().Name}, not {typeof(T).Name}: a secret name is read as one type.");

    private async Task ReadAsync<T>(Slot slot, string name, Func<string, T> parse, bool refresh, TaskCompletionSource<Value> completion)
        where T : class
    {
        try
        {
            var text = await ReadVaultAsync(name).ConfigureAwait(false);
            T parsed;
            try
            {
                parsed = parse(text);
            }
            catch (FormatException ex)
            {
                LogReadFailed(name, VaultHost, 200, SecretUnavailableException.MalformedSecret);
                throw new SecretUnavailableException(
                    $"Key Vault secret '{name}' in {VaultHost} is malformed: {ex.Message}", name, 200, SecretUnavailableException.MalformedSecret, ex);
            }

            Value value;
            lock (slot.Gate)
            {
                value = new Value(parsed, time.GetUtcNow(), ++slot.Reads);
                slot.Current = value;
                slot.Reading = null;
            }

            LogRead(name, VaultHost, refresh);
            completion.SetResult(value);
        }
        catch (Exception ex)
        {
            lock (slot.Gate)
            {
                slot.Reading = null;
            }

            completion.SetException(ex);
        }
    }

    /// <summary>One GET of the secret's current version; every failure as <see cref="SecretUnavailableException"/>.</summary>
    private async Task<string> ReadVaultAsync(string name)
    {
        string? value;
        try
        {
            // No caller's token: the read is shared (see the class summary); the SDK's own timeouts bound it.
            KeyVaultSecret secret = await vault.GetSecretAsync(name, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            value = secret.Value;
        }
        catch (RequestFailedException ex) when (ex.Status != 0)
        {
            LogReadFailed(name, VaultHost, ex.Status, ex.ErrorCode);
            throw new SecretUnavailableException(
                $"Key Vault secret '{name}' in {VaultHost} could not be read: {ex.Status} {ex.ErrorCode}.", name, ex.Status, ex.ErrorCode, ex);
        }
        catch (Exception ex)
        {
            // No answer: connection refused, DNS, timeout, the identity endpoint unreachable (wrapped by the SDK or not).
            var cause = ex is RequestFailedException { InnerException: { } inner } ? inner : ex;
            LogReadFailed(name, VaultHost, 0, cause.GetType().Name);
            throw new SecretUnavailableException(
                $"Key Vault secret '{name}' in {VaultHost} could not be read: vault unreachable ({cause.GetType().Name}).", name, null, cause.GetType().Name, ex);
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            LogReadFailed(name, VaultHost, 200, SecretUnavailableException.EmptySecret);
            throw new SecretUnavailableException($"Key Vault secret '{name}' in {VaultHost} is empty.", name, 200, SecretUnavailableException.EmptySecret);
        }

        return value;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Key Vault secret {SecretName} read from {VaultHost} (refresh: {Refresh})")]
    private partial void LogRead(string secretName, string vaultHost, bool refresh);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Key Vault secret {SecretName} in {VaultHost} could not be read: status {Status}, code {ErrorCode}")]
    private partial void LogReadFailed(string secretName, string vaultHost, int status, string? errorCode);

    /// <summary>One secret name's cache entry and its read under way, if any; both changed under <see cref="Gate"/>.</summary>
    private sealed class Slot
    {
        public readonly Lock Gate = new();
        public volatile Value? Current;
        public Task<Value>? Reading;
        public long Reads;
    }

    /// <summary>A parsed value, when it was read, and which read of its name it came from (1, 2, …).</summary>
    private sealed record Value(object Parsed, DateTimeOffset ReadAt, long Number);
}
