using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Platform.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Adds a registered singleton to what <see cref="StorageProvisioning"/> creates at start-up.</summary>
    public static IServiceCollection AddStorageResources<T>(this IServiceCollection services)
        where T : class, IStorageResources
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStorageResources, T>(sp => sp.GetRequiredService<T>()));
        return services;
    }

    /// <summary>
    /// Storage clients (setting <c>TwineStorage</c>: a connection string, or service URIs with the app's credential) and
    /// table and queue names (section <c>Storage</c>), validated at start-up.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.AddOptions<StorageConnectionOptions>().Configure(o => StorageConnectionOptions.Bind(o, configuration)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageConnectionOptions>, StorageConnectionOptionsValidator>());

        // The app's one credential (AppCredential), used only when TwineStorage names service URIs (managed identity in
        // Azure, developer credentials on a laptop); a connection string (Azurite) needs none.
        services.AddAppCredential(configuration);
        services.AddAzureClients(clients =>
        {
            clients.AddClient<TableServiceClient, TableClientOptions>((options, tokenCredential, provider) =>
            {
                var connection = provider.GetRequiredService<IOptions<StorageConnectionOptions>>().Value;
                return connection.UsesConnectionString
                    ? new TableServiceClient(connection.ConnectionString, options)
                    : new TableServiceClient(connection.TableServiceUri, tokenCredential, options);
            }).WithCredential(sp => sp.GetRequiredService<AppCredential>().Credential);
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, tokenCredential, provider) =>
            {
                options.MessageEncoding = QueueMessageEncoding.Base64; // what the Functions queue trigger reads by default
                var connection = provider.GetRequiredService<IOptions<StorageConnectionOptions>>().Value;
                return connection.UsesConnectionString
                    ? new QueueServiceClient(connection.ConnectionString, options)
                    : new QueueServiceClient(connection.QueueServiceUri, tokenCredential, options);
            }).WithCredential(sp => sp.GetRequiredService<AppCredential>().Credential);
        });

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StorageTables>();
        services.AddStorageResources<StorageTables>();

        // Every IStorageResources is created once when the worker starts, not on the requests that need it.
        services.TryAddSingleton<StorageProvisioning>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StorageProvisioning>(sp => sp.GetRequiredService<StorageProvisioning>()));
        return services;
    }
}
