using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Storage;

/// <summary>
/// Where the storage account is, read from the setting <c>TwineStorage</c> with the Functions convention for
/// connections: either a connection string (<c>TwineStorage=UseDevelopmentStorage=true</c>, Azurite) or, for
/// managed identity, <c>TwineStorage__queueServiceUri</c> and <c>TwineStorage__tableServiceUri</c>. The same
/// setting can then serve the queue triggers' <c>Connection = "TwineStorage"</c>.
/// </summary>
public sealed class StorageConnectionOptions
{
    public const string SettingName = "TwineStorage";

    public string? ConnectionString { get; set; }
    public Uri? QueueServiceUri { get; set; }
    public Uri? TableServiceUri { get; set; }

    public bool UsesConnectionString => !string.IsNullOrWhiteSpace(ConnectionString);

    internal static void Bind(StorageConnectionOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(SettingName);
        options.ConnectionString = section.Value;
        options.QueueServiceUri = ParseUri(section["queueServiceUri"]);
        options.TableServiceUri = ParseUri(section["tableServiceUri"]);
    }

    private static Uri? ParseUri(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : null;
}

/// <summary>Fails start-up with the setting's name when neither form of the connection is configured.</summary>
public sealed class StorageConnectionOptionsValidator : IValidateOptions<StorageConnectionOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageConnectionOptions options)
    {
        if (options.UsesConnectionString)
        {
            return ValidateOptionsResult.Success;
        }

        var missing = new List<string>();
        if (options.QueueServiceUri is null)
        {
            missing.Add($"{StorageConnectionOptions.SettingName}__queueServiceUri");
        }

        if (options.TableServiceUri is null)
        {
            missing.Add($"{StorageConnectionOptions.SettingName}__tableServiceUri");
        }

        return missing.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Storage is not configured: set {StorageConnectionOptions.SettingName} to a connection string, " +
                $"or set {string.Join(" and ", missing)} (absolute URIs) for managed identity.");
    }
}
