using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Twine.Functions.Partners;

/// <summary>
/// A Standard Webhooks signing secret: <c>whsec_</c> followed by the base64 of 24 to 64 random bytes. The key for
/// HMAC-SHA256 is the decoded bytes. The secret's text never appears in a log or an error message.
/// </summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";
    public const int MinKeyBytes = 24;
    public const int MaxKeyBytes = 64;

    public static bool TryParse(string? secret, [NotNullWhen(true)] out byte[]? key)
    {
        key = null;
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var encoded = secret.AsSpan(Prefix.Length);
        var buffer = new byte[encoded.Length];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written) || written is < MinKeyBytes or > MaxKeyBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }

    /// <summary>Every whitespace-separated secret in <paramref name="secrets"/> (a Key Vault value may hold the current and the previous one).</summary>
    public static bool TryParseList(string? secrets, [NotNullWhen(true)] out List<byte[]>? keys)
    {
        keys = null;
        var parts = (secrets ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return false;
        }

        var parsed = new List<byte[]>(parts.Length);
        foreach (var part in parts)
        {
            if (!TryParse(part, out var key))
            {
                return false;
            }

            parsed.Add(key);
        }

        keys = parsed;
        return true;
    }

    /// <summary>The raw HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>, the body exactly as received.</summary>
    public static byte[] Hmac(byte[] key, string id, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    /// <summary>The header entry a sender puts in webhook-signature: <c>v1,</c> + base64 of the HMAC.</summary>
    public static string Sign(string secret, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        if (!TryParse(secret, out var key))
        {
            throw new ArgumentException("Not a whsec_ secret of 24 to 64 bytes.", nameof(secret));
        }

        return "v1," + Convert.ToBase64String(Hmac(key, id, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), body));
    }
}
