namespace Twine.Functions.Platform.Secrets;

/// <summary>
/// A Key Vault secret could not be read (vault unreachable, access denied, secret missing, empty or malformed), for
/// every caller of <see cref="CachedSecretReader"/>: queue processing treats it as transient (the message is retried
/// and, if it keeps failing, lands in the poison queue); the webhook edge answers 503. Like the Azure SDK's
/// RequestFailedException it carries a status and an error code. The message names the vault and the secret, never a
/// secret value.
/// </summary>
public sealed class SecretUnavailableException(string message, string secretName, int? status, string? errorCode, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The Key Vault secret that could not be read.</summary>
    public string SecretName { get; } = secretName;

    /// <summary>Key Vault's HTTP status (200 for a secret that was read but is empty or malformed), or null when it could not be reached.</summary>
    public int? Status { get; } = status;

    /// <summary>Key Vault's error code (e.g. <c>SecretNotFound</c>, <c>Forbidden</c>), <see cref="EmptySecret"/>, <see cref="MalformedSecret"/>, the transport failure's type name, or null.</summary>
    public string? ErrorCode { get; } = errorCode;

    public const string EmptySecret = "EmptySecret";
    public const string MalformedSecret = "MalformedSecret";
    public const string NoVault = "NoVault";
}
