using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace Twine.Functions.Platform.Secrets;

/// <summary>
/// The app's one Azure credential, for every Azure SDK client it builds (Key Vault, and storage when
/// <c>TwineStorage</c> names service URIs): DefaultAzureCredential, the app's managed identity in Azure and the
/// developer's sign-in on a laptop. A user-assigned identity is named by <c>TwineStorage__clientId</c> (the Functions
/// convention, which the queue triggers read too) or <c>AZURE_CLIENT_ID</c>; the template sets both to the same
/// identity. Created on first use: a connection string (Azurite) and no vault need none.
/// </summary>
public sealed class AppCredential(IConfiguration configuration)
{
    private readonly Lazy<TokenCredential> _credential = new(() => new DefaultAzureCredential(new DefaultAzureCredentialOptions
    {
        ManagedIdentityClientId = ManagedIdentityClientId(configuration),
    }));

    public TokenCredential Credential => _credential.Value;

    /// <summary>The Functions convention for the identity of the connection named <c>TwineStorage</c> (the storage setting).</summary>
    public const string StorageClientIdSetting = "TwineStorage:clientId";

    public static string? ManagedIdentityClientId(IConfiguration configuration) =>
        configuration[StorageClientIdSetting] ?? configuration["AZURE_CLIENT_ID"];
}
