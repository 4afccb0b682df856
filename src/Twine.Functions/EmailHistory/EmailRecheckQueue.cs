using Azure;
using Azure.Data.Tables;
using Twine.Client.Models;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// The EmailRecheck table: one row per email that is not final yet, PK = the hour its next check is due
/// (<see cref="EmailRecheckSchedule.Bucket"/>), RK = email history id; columns <c>DueAt</c> and <c>SendTime</c>. The keys
/// are a function of the email and its next check, so writing the same schedule twice (the sender poller re-reads its
/// overlap every run) leaves one row. A checked row is moved to its next hour or deleted, so the key range up to the
/// current hour holds only what is due: a run reads it with one range query and never scans what is not due.
/// </summary>
public sealed class EmailRecheckQueue(PollingTables tables)
{
    public const string DueAtColumn = "DueAt";
    public const string SendTimeColumn = "SendTime";

    /// <summary>Schedules the next check of each email that is not final and younger than 7 days at <paramref name="now"/>.</summary>
    /// <returns>The storage requests it took.</returns>
    public Task<int> ScheduleAsync(IEnumerable<EmailHistoryResource> emails, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        foreach (var email in emails)
        {
            if (Row(email, now) is { } row)
            {
                rows.Add(row);
            }
        }

        return rows.Count == 0
            ? Task.FromResult(0)
            : TableBatchWriter.UpsertAsync(tables.EmailRecheck, rows, TableTransactionActionType.UpsertReplace, cancellationToken);
    }

    /// <summary>The row for the email's next check after <paramref name="now"/>; null when it is final, too old or not keyable.</summary>
    public static TableEntity? Row(EmailHistoryResource email, DateTimeOffset now, DateTimeOffset? knownSendTime = null)
    {
        if (string.IsNullOrEmpty(email.Id) || !TableKeys.IsSafeKey(email.Id) || EmailRecheckSchedule.IsFinal(email.Attributes?.StatusTimes))
        {
            return null;
        }

        if ((email.Attributes?.SendTime ?? knownSendTime) is not { } sendTime || EmailRecheckSchedule.NextDue(sendTime, now) is not { } due)
        {
            return null;
        }

        return new TableEntity(EmailRecheckSchedule.Bucket(due), email.Id)
        {
            [DueAtColumn] = due,
            [SendTimeColumn] = sendTime,
        };
    }

    /// <summary>Up to <paramref name="max"/> rows due by <paramref name="now"/>, the longest due first: one key-range query.</summary>
    public async Task<List<TableEntity>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey le {EmailRecheckSchedule.Bucket(now)} and DueAt le {now}");
        var rows = new List<TableEntity>(max);
        await foreach (var row in tables.EmailRecheck.QueryAsync<TableEntity>(filter, maxPerPage: max, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
            if (rows.Count >= max)
            {
                break;
            }
        }

        return rows;
    }

    /// <summary>Replaces a checked row by <paramref name="next"/> (null: the email is done) and returns the storage requests taken.</summary>
    public async Task<int> MoveAsync(TableEntity checkedRow, TableEntity? next, CancellationToken cancellationToken)
    {
        var requests = 0;
        if (next is not null)
        {
            // The new row first: a failure between the two leaves the email scheduled twice (a repeated GET), never lost.
            await tables.EmailRecheck.UpsertEntityAsync(next, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            requests++;
            if (next.PartitionKey == checkedRow.PartitionKey && next.RowKey == checkedRow.RowKey)
            {
                return requests;
            }
        }

        try
        {
            await tables.EmailRecheck.DeleteEntityAsync(checkedRow.PartitionKey, checkedRow.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Another run moved it already.
        }

        return requests + 1;
    }
}
