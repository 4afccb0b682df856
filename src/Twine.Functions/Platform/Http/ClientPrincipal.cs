using System.Buffers;
using System.Text.Json;

namespace Twine.Functions.Platform.Http;

/// <summary>One claim of an App Service Authentication principal (<c>{"typ": ..., "val": ...}</c>).</summary>
public sealed record ClientPrincipalClaim(string Type, string Value);

/// <summary>
/// The <c>X-MS-CLIENT-PRINCIPAL</c> header App Service Authentication adds to a signed-in request: base64 of
/// <c>{"auth_typ": "aad", "claims": [{"typ": ..., "val": ...}], "name_typ": ..., "role_typ": ...}</c>
/// (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities#decoding-the-client-principal-header).
/// Only what the role decision needs is kept; <see cref="TryParse"/> never throws.
/// </summary>
public sealed record ClientPrincipal(string? AuthenticationType, string? RoleClaimType, IReadOnlyList<ClientPrincipalClaim> Claims)
{
    /// <summary>The header's name (App Service removes a caller's own copy of it).</summary>
    public const string Header = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>Entra's app roles as App Service passes them on (the token's claim name).</summary>
    public const string RolesClaim = "roles";

    /// <summary>The same claim after the default claims mapping (the .NET role claim type).</summary>
    public const string RoleClaimUri = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

    /// <summary>Longer headers are refused unread (App Service's own request headers stay far below this).</summary>
    public const int MaxHeaderLength = 64 * 1024;

    /// <summary>The principal in <paramref name="header"/>; null when it is absent, repeated, too long, not base64 or not the JSON above.</summary>
    public static ClientPrincipal? TryParse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || header.Length > MaxHeaderLength)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(header.Length);
        try
        {
            if (!Convert.TryFromBase64String(header.Trim(), buffer, out var written))
            {
                return null;
            }

            using var document = JsonDocument.Parse(buffer.AsMemory(0, written), new JsonDocumentOptions { MaxDepth = 8 });
            return Read(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null; // not UTF-8
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>Whether a claim gives the app role <paramref name="role"/> (ordinal: Entra role values are case-sensitive).</summary>
    public bool HasRole(string role) =>
        Claims.Any(c => string.Equals(c.Value, role, StringComparison.Ordinal)
                        && (c.Type is RolesClaim or RoleClaimUri || (!string.IsNullOrEmpty(RoleClaimType) && c.Type == RoleClaimType)));

    private static ClientPrincipal? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var kept = new List<ClientPrincipalClaim>();
        foreach (var claim in claims.EnumerateArray())
        {
            // A claim that is not {"typ": string, "val": string} gives no role; the rest of the principal still counts.
            if (claim.ValueKind == JsonValueKind.Object
                && claim.TryGetProperty("typ", out var type) && type.ValueKind == JsonValueKind.String
                && claim.TryGetProperty("val", out var value) && value.ValueKind == JsonValueKind.String)
            {
                kept.Add(new ClientPrincipalClaim(type.GetString()!, value.GetString()!));
            }
        }

        return new ClientPrincipal(StringOrNull(root, "auth_typ"), StringOrNull(root, "role_typ"), kept);
    }

    private static string? StringOrNull(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
