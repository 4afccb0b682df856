using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

/// <summary>
/// A row of IngestionIndex (PK = the UTC day the ingestion was created, <c>yyyyMMdd</c>; RK = inverted creation time + "_" +
/// id, see <see cref="TableKeys.IndexRow"/>): what the history list shows of one ingestion, copied from its Ingestions row
/// after every write. A day's ingestions are one partition, newest first, so the list and the 14-day summary read whole
/// days with partition queries and retention deletes whole days.
/// </summary>
public sealed class IngestionIndexEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string IngestionId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Partner { get; set; }
    public string? WebhookId { get; set; }
    public string? ExternalId { get; set; }
    public string? Operation { get; set; }
    public int MetricsTotal { get; set; }
    public int MessagesTotal { get; set; }
    public int MessagesDone { get; set; }
    public int Created { get; set; }
    public int IgnoredDuplicates { get; set; }
    public int Superseded { get; set; }
    public int Failed { get; set; }
    public string? FirstErrorCode { get; set; }
    public int ReplayCount { get; set; }
    public DateTimeOffset? LastReplayAt { get; set; }

    /// <summary>The Ingestions row's revision this copy was made from: an older copy never replaces a newer one.</summary>
    public long Revision { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The code shown for an ingestion in the list: its first error's, or <c>IngestionFailed</c> for a failure without errors.</summary>
    public const string FailedWithoutErrorCode = "IngestionFailed";

    public static IngestionIndexEntity From(IngestionEntity e)
    {
        var errors = JsonPropertyLimit.Deserialize(e.ErrorsJson, IngestionJsonContext.Default.ListIngestionError);
        return new IngestionIndexEntity
        {
            PartitionKey = TableKeys.IndexDay(e.CreatedAt),
            RowKey = TableKeys.IndexRow(e.CreatedAt, e.PartitionKey),
            IngestionId = e.PartitionKey,
            Kind = e.Kind,
            Status = e.Status,
            Partner = e.Partner,
            WebhookId = e.WebhookId,
            ExternalId = e.ExternalId,
            Operation = e.Operation,
            MetricsTotal = e.MetricsTotal,
            MessagesTotal = e.MessagesTotal,
            MessagesDone = e.MessagesDone,
            Created = e.Created,
            IgnoredDuplicates = e.IgnoredDuplicates,
            Superseded = e.Superseded,
            Failed = e.Failed,
            FirstErrorCode = errors.Select(x => x.Code).FirstOrDefault(c => !string.IsNullOrEmpty(c))
                             ?? (e.FailureReason is not null ? FailedWithoutErrorCode : null),
            ReplayCount = e.ReplayCount,
            LastReplayAt = e.LastReplayAt,
            Revision = e.Revision,
            CreatedAt = e.CreatedAt,
            UpdatedAt = e.UpdatedAt,
        };
    }
}

/// <summary>
/// The history index (IngestionIndex table). <see cref="SyncAsync"/> copies an Ingestions row after each write of it,
/// keeping the highest revision (ETag-conditional), so concurrent writers leave the newest copy. The copy is a second
/// write after the row's own: if it fails, the failure is logged and the row stays right; the index catches up at the
/// ingestion's next write (docs/STORAGE.md).
/// </summary>
public sealed partial class IngestionIndex(StorageTables tables, ILogger<IngestionIndex> logger)
{
    public TableClient Table => tables.IngestionIndex;

    public async Task SyncAsync(IngestionEntity ingestion, CancellationToken cancellationToken)
    {
        var copy = IngestionIndexEntity.From(ingestion);
        try
        {
            await OptimisticUpdate.RunAsync<IngestionIndexEntity, bool>(tables.IngestionIndex, copy.PartitionKey, copy.RowKey, existing =>
                existing is not null && existing.Revision >= copy.Revision
                    ? OptimisticChange<IngestionIndexEntity, bool>.Decline(false)
                    : OptimisticChange<IngestionIndexEntity, bool>.Put(copy, true),
                cancellationToken, maxAttempts: 5).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RequestFailedException or OptimisticUpdateException)
        {
            LogSyncFailed(ingestion.PartitionKey, (e as RequestFailedException)?.Status);
        }
    }

    /// <summary>
    /// The ingestion's first copy, written by the edge once it accepted the ingestion: an insert, so that a copy a fast
    /// processor already wrote (always newer) stays. One call.
    /// </summary>
    public async Task AddFirstAsync(IngestionEntity ingestion, CancellationToken cancellationToken)
    {
        try
        {
            await tables.IngestionIndex.AddEntityAsync(IngestionIndexEntity.From(ingestion), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Processing copied a newer state first.
        }
        catch (RequestFailedException e)
        {
            LogSyncFailed(ingestion.PartitionKey, e.Status);
        }
    }

    /// <summary>
    /// An alias row's entry in the alias partition (<see cref="TableKeys.AliasIndexPartition"/>): never listed, read by
    /// retention, which deletes the alias when it is as old as the retention. Should this write fail, the alias stays
    /// (logged): it is a few hundred bytes and answers as its ingestion does.
    /// </summary>
    public async Task AddAliasAsync(IngestionEntity alias, CancellationToken cancellationToken)
    {
        try
        {
            await tables.IngestionIndex.UpsertEntityAsync(new TableEntity(TableKeys.AliasIndexPartition, TableKeys.IndexRow(alias.CreatedAt, alias.PartitionKey))
            {
                [nameof(IngestionIndexEntity.IngestionId)] = alias.PartitionKey,
            }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogSyncFailed(alias.PartitionKey, e.Status);
        }
    }

    /// <summary>
    /// A settled ingestion's copy (succeeded, partly succeeded, failed), written without reading the old one: one call.
    /// Only the write that settles an ingestion uses it; a later change (a replay, a late failure) goes through
    /// <see cref="SyncAsync"/>, which reads and keeps the highest revision.
    /// </summary>
    public async Task ReplaceAsync(IngestionEntity ingestion, CancellationToken cancellationToken)
    {
        try
        {
            await tables.IngestionIndex.UpsertEntityAsync(IngestionIndexEntity.From(ingestion), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogSyncFailed(ingestion.PartitionKey, e.Status);
        }
    }

    /// <summary>One page of a day's rows within [from, to], newest first, after <paramref name="afterRowKey"/>, with the list's column filters.</summary>
    public async Task<IReadOnlyList<IngestionIndexEntity>> QueryDayAsync(string day, DateTimeOffset from, DateTimeOffset to, string? afterRowKey,
        IReadOnlyList<string>? statuses, string? kind, string? partner, int take, CancellationToken cancellationToken)
    {
        var filter = DayFilter(day, from, to, afterRowKey, statuses, kind, partner);
        var rows = new List<IngestionIndexEntity>(take);
        await foreach (var page in tables.IngestionIndex.QueryAsync<IngestionIndexEntity>(filter, maxPerPage: Math.Min(take, 1000), cancellationToken: cancellationToken)
                           .AsPages().ConfigureAwait(false))
        {
            foreach (var row in page.Values)
            {
                rows.Add(row);
                if (rows.Count == take)
                {
                    return rows;
                }
            }
        }

        return rows;
    }

    /// <summary>The statuses of one day's rows (only the Status column is returned): the summary's counts.</summary>
    public async Task<Dictionary<string, int>> CountStatusesAsync(string day, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {day}");
        await foreach (var row in tables.IngestionIndex.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: [nameof(IngestionIndexEntity.Status)],
                           cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var status = row.GetString(nameof(IngestionIndexEntity.Status)) ?? "";
            counts[status] = counts.GetValueOrDefault(status) + 1;
        }

        return counts;
    }

    /// <summary>
    /// The filter of one day's partition query: the time range as a RowKey range (inverted times: the newer bound is the
    /// lower key), the continuation as "RowKey greater than the last one returned", and the column filters. Every value
    /// goes through <see cref="TableClient.CreateQueryFilter(FormattableString)"/>, which quotes it.
    /// </summary>
    public static string DayFilter(string day, DateTimeOffset from, DateTimeOffset to, string? afterRowKey,
        IReadOnlyList<string>? statuses, string? kind, string? partner)
    {
        var newest = TableKeys.InvertedTime(to);
        var oldestExclusive = (DateTimeOffset.MaxValue.UtcTicks - from.UtcTicks + 1).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
        var parts = new List<string>
        {
            TableClient.CreateQueryFilter($"PartitionKey eq {day} and RowKey ge {newest} and RowKey lt {oldestExclusive}"),
        };
        if (afterRowKey is not null)
        {
            parts.Add(TableClient.CreateQueryFilter($"RowKey gt {afterRowKey}"));
        }

        if (statuses is { Count: > 0 })
        {
            parts.Add("(" + string.Join(" or ", statuses.Select(s => TableClient.CreateQueryFilter($"Status eq {s}"))) + ")");
        }
        else
        {
            parts.Add(TableClient.CreateQueryFilter($"Status ne {IngestionStatus.Receiving.ToWire()}")); // internal: never listed
        }

        if (kind is not null)
        {
            parts.Add(TableClient.CreateQueryFilter($"Kind eq {kind}"));
        }

        if (partner is not null)
        {
            parts.Add(TableClient.CreateQueryFilter($"Partner eq {partner}"));
        }

        return string.Join(" and ", parts);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "History index row of ingestion {IngestionId} not updated (storage status {Status}); it catches up at the next change")]
    private partial void LogSyncFailed(string ingestionId, int? status);
}
