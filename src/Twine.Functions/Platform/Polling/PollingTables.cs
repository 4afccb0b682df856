using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Platform.Polling;

/// <summary>The poller's tables (names in section PollTwineUpdates), created at start-up like the ingestion tables.</summary>
public sealed class PollingTables(TableServiceClient service, IOptions<PollingOptions> options) : IStorageResources
{
    private readonly PollingOptions _names = options.Value;

    public TableClient EmailHistory => service.GetTableClient(_names.EmailHistoryTable);
    public TableClient CalendarEvents => service.GetTableClient(_names.CalendarEventsTable);
    public TableClient Checkpoints => service.GetTableClient(_names.CheckpointsTable);
    public TableClient EmailRecheck => service.GetTableClient(_names.EmailRecheckTable);

    public Task CreateAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            EmailHistory.CreateIfNotExistsAsync(cancellationToken),
            CalendarEvents.CreateIfNotExistsAsync(cancellationToken),
            Checkpoints.CreateIfNotExistsAsync(cancellationToken),
            EmailRecheck.CreateIfNotExistsAsync(cancellationToken));
}
