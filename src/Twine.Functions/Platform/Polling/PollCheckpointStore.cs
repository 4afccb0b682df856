using Twine.Functions.Platform.Storage;












namespace Twine.Functions.Platform.Polling;

/// <summary>
/// Reads and writes checkpoints with the row's ETag (insert for the first), so that of two overlapping runs the one that
/// loses the race re-reads and writes only what moves the checkpoint forward: a watermark never goes back.
/// </summary>
public sealed class PollCheckpointStore(PollingTables tables, TimeProvider timeProvider)
{
    /// <summary>The stream's checkpoint, or a new one (empty ETag) when the stream was never polled.</summary>
    public async Task<PollCheckpoint> GetAsync(string stream, CancellationToken cancellationToken)
    {
        var response = await tables.Checkpoints.GetEntityIfExistsAsync<PollCheckpoint>(stream, PollCheckpoint.Row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value! : new PollCheckpoint { PartitionKey = stream };
    }

    /// <summary>A catch-up reached its lower bound: the watermark becomes <paramref name="until"/> unless it is already past it.</summary>
    public Task<PollCheckpoint> CompleteAsync(PollCheckpoint read, DateTimeOffset until, CancellationToken cancellationToken) =>
        WriteAsync(read, current =>
        {
            if (current.Watermark >= until && !(current.HasResume && current.ResumeUntil <= until))
            {
                return null; // another run got further; nothing to add
            }

            var next = current.Clone();
            next.Watermark = Max(current.Watermark, until);

            // A resume position at or below the new watermark is done; one above it (another run's newer catch-up) stays.
            if (!(current.ResumeUntil > next.Watermark))
            {
                next.ResumeFrom = null;
                next.ResumeUntil = null;
                next.ResumePosition = null;
            }

            return next;
        }, cancellationToken);

    /// <summary>A run stopped early: remember where its catch-up is, unless the stream has meanwhile got past it.</summary>
    public Task<PollCheckpoint> SaveProgressAsync(PollCheckpoint read, DateTimeOffset? from, DateTimeOffset until, string position, CancellationToken cancellationToken) =>
        WriteAsync(read, current =>
        {
            if (current.Watermark >= until)
            {
                return null; // everything this catch-up covers is stored already
            }

            if (current.HasResume && current.ETag != read.ETag)
            {
                return null; // another run saved its own progress meanwhile; either resume is safe, keep theirs
            }

            var next = current.Clone();
            next.ResumeFrom = from;
            next.ResumeUntil = until;
            next.ResumePosition = position;
            return next;
        }, cancellationToken);

    /// <summary>
    /// Writes what <paramref name="change"/> makes of the checkpoint, starting from <paramref name="read"/> (no read on the
    /// first attempt). On 409 (another run inserted the first row) or 412 (it changed the row) the change decides again on
    /// what that run wrote; null means nothing to add, and the checkpoint as read is returned.
    /// </summary>
    private async Task<PollCheckpoint> WriteAsync(PollCheckpoint read, Func<PollCheckpoint, PollCheckpoint?> change, CancellationToken cancellationToken)
    {
        return await OptimisticUpdate.RunAsync<PollCheckpoint, PollCheckpoint>(tables.Checkpoints, read.PartitionKey, PollCheckpoint.Row, row =>
        {
            var current = row ?? new PollCheckpoint { PartitionKey = read.PartitionKey };
            if (change(current) is not { } next)
            {
                return OptimisticChange<PollCheckpoint, PollCheckpoint>.Decline(current);
            }

            next.UpdatedAt = timeProvider.GetUtcNow();
            return OptimisticChange<PollCheckpoint, PollCheckpoint>.Put(next, next); // its ETag becomes the written one
        }, cancellationToken, known: new KnownRow<PollCheckpoint>(read)).ConfigureAwait(false);
    }

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } value && value > b ? value : b;
}
