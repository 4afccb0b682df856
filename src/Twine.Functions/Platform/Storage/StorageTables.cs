using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Storage;

/// <summary>
/// The app's tables, created on first use (once per process; a failed attempt is tried again on the next call)
/// so that a fresh storage account or Azurite needs no setup step.
/// </summary>
public sealed class StorageTables(TableServiceClient service, IOptions<StorageOptions> options)
{
    private readonly StorageOptions _names = options.Value;
    private readonly CreateOnce _created = new();

    public TableClient Ingestions => service.GetTableClient(_names.IngestionsTable);
    public TableClient IngestionResults => service.GetTableClient(_names.IngestionResultsTable);
    public TableClient CalendarEventLinks => service.GetTableClient(_names.CalendarEventLinksTable);
    public TableClient IngestionKeys => service.GetTableClient(_names.IngestionKeysTable);

    public ValueTask EnsureCreatedAsync(CancellationToken cancellationToken) =>
        _created.RunAsync(ct => Task.WhenAll(
            Ingestions.CreateIfNotExistsAsync(ct),
            IngestionResults.CreateIfNotExistsAsync(ct),
            CalendarEventLinks.CreateIfNotExistsAsync(ct),
            IngestionKeys.CreateIfNotExistsAsync(ct)), cancellationToken);
}
