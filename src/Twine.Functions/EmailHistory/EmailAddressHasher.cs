using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// Email addresses are patient data: they are never stored in clear. With a key configured the row keeps
/// HMAC-SHA256(key, trimmed lower-case address) in hex, so an operator holding the key can check "was it sent to this
/// address?" while the table alone reveals nothing (a plain hash of an address is easy to reverse by guessing).
/// Without a key nothing about the address is stored.
/// </summary>
public sealed class EmailAddressHasher(IOptions<PollingOptions> options)
{
    private readonly byte[]? _key = options.Value.EmailHashKeyBytes();

    public string? Hash(string? emailAddress)
    {
        if (_key is null || string.IsNullOrWhiteSpace(emailAddress))
        {
            return null;
        }

        var normalized = emailAddress.Trim().ToLowerInvariant();
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(normalized)));
    }
}
