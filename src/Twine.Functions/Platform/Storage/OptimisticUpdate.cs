using Azure;
using Azure.Data.Tables;

namespace Twine.Functions.Platform.Storage;

/// <summary>
/// The one read-modify-write loop for a table row shared by several instances: point-read the row, let the caller decide
/// what it becomes (or decline, writing nothing), then insert it (no row was read) or replace/merge it conditionally on
/// the ETag read. A 409 (someone inserted first) or 412 (someone changed it since the read) starts the next attempt
/// with a fresh read; after <c>maxAttempts</c> lost races it gives up with <see cref="OptimisticUpdateException"/>.
/// The caller makes sure the table exists.
/// </summary>
public static class OptimisticUpdate
{
    /// <summary>Enough for dozens of writers on one row; a loop that loses this often is a bug or a storm, not bad luck.</summary>
    public const int DefaultMaxAttempts = 50;

    /// <param name="change">
    /// Given the row as read (null: no row, or a <paramref name="known"/> row with no ETag), says what to write, or
    /// declines. It may run several times, each time on a fresh read, so it must decide from what it is given.
    /// </param>
    /// <param name="known">The row as the caller already read it: the first attempt uses it instead of reading.</param>
    /// <param name="read">How to read the row, when a point read of <paramref name="partitionKey"/> and <paramref name="rowKey"/>
    /// is not enough (a row that may have another key: <see cref="IngestionPartitionKeys"/>); the write goes to the key of the row read.</param>
    public static async Task<TResult> RunAsync<TEntity, TResult>(
        TableClient table,
        string partitionKey,
        string rowKey,
        Func<TEntity?, CancellationToken, ValueTask<OptimisticChange<TEntity, TResult>>> change,
        CancellationToken cancellationToken,
        TableUpdateMode mode = TableUpdateMode.Replace,
        int maxAttempts = DefaultMaxAttempts,
        KnownRow<TEntity>? known = null,
        Func<CancellationToken, Task<TEntity?>>? read = null)
        where TEntity : class, ITableEntity
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(change);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);

        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            TEntity? current;
            if (attempt == 1 && known is { } given)
            {
                current = given.Row;
            }
            else if (read is not null)
            {
                current = await read(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var response = await table.GetEntityIfExistsAsync<TEntity>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
                current = response.HasValue ? response.Value : null;
            }

            var decision = await change(current, cancellationToken).ConfigureAwait(false);
            if (decision.Write is not { } next)
            {
                return decision.Result;
            }

            try
            {
                var response = current is { } c && c.ETag != default
                    ? await table.UpdateEntityAsync(next, c.ETag, mode, cancellationToken).ConfigureAwait(false)
                    : await table.AddEntityAsync(next, cancellationToken).ConfigureAwait(false);
                next.ETag = response.Headers.ETag ?? default;
                return decision.Result;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another writer got there first: read again and let the caller decide on what it wrote.
            }
        }

        throw new OptimisticUpdateException(table.Name, partitionKey, rowKey, maxAttempts);
    }

    /// <inheritdoc cref="RunAsync{TEntity, TResult}(TableClient, string, string, Func{TEntity, CancellationToken, ValueTask{OptimisticChange{TEntity, TResult}}}, CancellationToken, TableUpdateMode, int, KnownRow{TEntity}?)"/>
    public static Task<TResult> RunAsync<TEntity, TResult>(
        TableClient table,
        string partitionKey,
        string rowKey,
        Func<TEntity?, OptimisticChange<TEntity, TResult>> change,
        CancellationToken cancellationToken,
        TableUpdateMode mode = TableUpdateMode.Replace,
        int maxAttempts = DefaultMaxAttempts,
        KnownRow<TEntity>? known = null)
        where TEntity : class, ITableEntity
    {
        ArgumentNullException.ThrowIfNull(change);
        return RunAsync<TEntity, TResult>(table, partitionKey, rowKey, (row, _) => ValueTask.FromResult(change(row)),
            cancellationToken, mode, maxAttempts, known);
    }
}

/// <summary>What a change decided: the row to write (null: decline, write nothing) and what the update returns.</summary>
public readonly record struct OptimisticChange<TEntity, TResult>(TEntity? Write, TResult Result)
    where TEntity : class, ITableEntity
{
    /// <summary>Write <paramref name="row"/> (its ETag is set to the new one once written) and return <paramref name="result"/>.</summary>
    public static OptimisticChange<TEntity, TResult> Put(TEntity row, TResult result) => new(row, result);

    /// <summary>Write nothing and return <paramref name="result"/>.</summary>
    public static OptimisticChange<TEntity, TResult> Decline(TResult result) => new(null, result);
}

/// <summary>A row the caller has read already (null: it does not exist), so the first attempt needs no read.</summary>
public readonly record struct KnownRow<TEntity>(TEntity? Row)
    where TEntity : class, ITableEntity;

/// <summary>
/// An optimistic update lost every race it ran: each of its attempts met a concurrent write (409/412). An
/// <see cref="InvalidOperationException"/>, as the hand-written loops it replaces threw.
/// </summary>
public sealed class OptimisticUpdateException(string tableName, string partitionKey, string rowKey, int attempts)
    : InvalidOperationException($"Table {tableName}: gave up updating row ({partitionKey}, {rowKey}) after {attempts} attempts, each of which met a concurrent write.")
{
    public string TableName { get; } = tableName;
    public string PartitionKey { get; } = partitionKey;
    public string RowKey { get; } = rowKey;
    public int Attempts { get; } = attempts;
}
