namespace Twine.Functions.Secrets;

/// <summary>
/// Twine's credentials could not be read (Key Vault unreachable, secret missing, access denied). Queue
/// processing treats it as transient: the message is retried and, if it keeps failing, lands in the poison queue.
/// The message names the vault and secret, never a secret value.
/// </summary>
public sealed class TwineCredentialsUnavailableException(string message, int? status, Exception? inner)
    : Exception(message, inner)
{
    /// <summary>Key Vault's HTTP status, or null when it could not be reached.</summary>
    public int? Status { get; } = status;
}
