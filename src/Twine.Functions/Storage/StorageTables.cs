using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Storage;

/// <summary>
/// The app's tables, created on first use (once per process; a failed attempt is tried again on the next call)
/// so that a fresh storage account or Azurite needs no setup step.
/// </summary>
public sealed class StorageTables(TableServiceClient service, IOptions<StorageOptions> options)
{
    private readonly StorageOptions _names = options.Value;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _created;

    public TableClient Ingestions => service.GetTableClient(_names.IngestionsTable);
    public TableClient IngestionResults => service.GetTableClient(_names.IngestionResultsTable);
    public TableClient CalendarEventLinks => service.GetTableClient(_names.CalendarEventLinksTable);
    public TableClient IngestionKeys => service.GetTableClient(_names.IngestionKeysTable);

    public async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await Task.WhenAll(
                    Ingestions.CreateIfNotExistsAsync(cancellationToken),
                    IngestionResults.CreateIfNotExistsAsync(cancellationToken),
                    CalendarEventLinks.CreateIfNotExistsAsync(cancellationToken),
                    IngestionKeys.CreateIfNotExistsAsync(cancellationToken)).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
