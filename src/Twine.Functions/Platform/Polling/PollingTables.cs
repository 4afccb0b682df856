using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Platform.Polling;

/// <summary>The poller's tables (names in section PollTwineUpdates), created on first use like the ingestion tables.</summary>
public sealed class PollingTables(TableServiceClient service, IOptions<PollingOptions> options)
{
    private readonly PollingOptions _names = options.Value;
    private readonly CreateOnce _created = new();

    public TableClient EmailHistory => service.GetTableClient(_names.EmailHistoryTable);
    public TableClient CalendarEvents => service.GetTableClient(_names.CalendarEventsTable);
    public TableClient Checkpoints => service.GetTableClient(_names.CheckpointsTable);

    public ValueTask EnsureCreatedAsync(CancellationToken cancellationToken) =>
        _created.RunAsync(ct => Task.WhenAll(
            EmailHistory.CreateIfNotExistsAsync(ct),
            CalendarEvents.CreateIfNotExistsAsync(ct),
            Checkpoints.CreateIfNotExistsAsync(ct)), cancellationToken);
}
