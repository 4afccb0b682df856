using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Polling;

/// <summary>The poller's tables (names in section PollTwineUpdates), created on first use like the ingestion tables.</summary>
public sealed class PollingTables(TableServiceClient service, IOptions<PollingOptions> options)
{
    private readonly PollingOptions _names = options.Value;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _created;

    public TableClient EmailHistory => service.GetTableClient(_names.EmailHistoryTable);
    public TableClient CalendarEvents => service.GetTableClient(_names.CalendarEventsTable);
    public TableClient Checkpoints => service.GetTableClient(_names.CheckpointsTable);

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
                    EmailHistory.CreateIfNotExistsAsync(cancellationToken),
                    CalendarEvents.CreateIfNotExistsAsync(cancellationToken),
                    Checkpoints.CreateIfNotExistsAsync(cancellationToken)).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
