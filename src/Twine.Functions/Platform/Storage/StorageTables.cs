using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Platform.Storage;

/// <summary>The ingestion tables (names in section <c>Storage</c>), created at start-up (<see cref="StorageProvisioning"/>).</summary>
public sealed class StorageTables(TableServiceClient service, IOptions<StorageOptions> options) : IStorageResources
{
    private readonly StorageOptions _names = options.Value;

    public TableClient Ingestions => service.GetTableClient(_names.IngestionsTable);
    public TableClient CalendarEventLinks => service.GetTableClient(_names.CalendarEventLinksTable);
    public TableClient IngestionKeys => service.GetTableClient(_names.IngestionKeysTable);
    public TableClient IngestionIndex => service.GetTableClient(_names.IngestionIndexTable);
    public TableClient IngestionMessages => service.GetTableClient(_names.IngestionMessagesTable);

    public Task CreateAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            Ingestions.CreateIfNotExistsAsync(cancellationToken),
            CalendarEventLinks.CreateIfNotExistsAsync(cancellationToken),
            IngestionKeys.CreateIfNotExistsAsync(cancellationToken),
            IngestionIndex.CreateIfNotExistsAsync(cancellationToken),
            IngestionMessages.CreateIfNotExistsAsync(cancellationToken));
}
