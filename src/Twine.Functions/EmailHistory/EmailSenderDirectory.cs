using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Queries;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// Whose sent emails are polled: every coach of the organization as Twine lists them (fetchCoaches,
/// <c>GET /coach?filter[organization]=…</c>: one request for the whole list), read again every
/// <see cref="PollingOptions.EmailSenderRefresh"/> so a new coach is picked up by the next run after a refresh, plus the
/// ids in <see cref="PollingOptions.EmailSenders"/>. Kept in memory per instance (the timer runs on one instance at a
/// time). When Twine cannot answer, the last list read is used; before any was read, only the configured senders.
/// </summary>
public sealed partial class EmailSenderDirectory(ITwineClient twine, IOptions<PollingOptions> options, TimeProvider timeProvider,
    ILogger<EmailSenderDirectory> logger)
{
    private readonly PollingOptions _options = options.Value;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IReadOnlyList<string>? _coaches;
    private DateTimeOffset _readAt;

    public async Task<IReadOnlyList<string>> GetSendersAsync(CancellationToken cancellationToken)
    {
        if (!_options.DiscoverEmailSenders)
        {
            return _options.EmailSenderIds;
        }

        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_coaches is null || timeProvider.GetUtcNow() - _readAt >= _options.EmailSenderRefresh)
            {
                await ReadCoachesAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _refresh.Release();
        }

        return [.. (_coaches ?? []).Concat(_options.EmailSenderIds).Distinct(StringComparer.Ordinal)];
    }

    private async Task ReadCoachesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var page = await twine.FetchCoachesAsync(new CoachQuery { Organization = _options.Organization }, cancellationToken).ConfigureAwait(false);
            var coaches = page.Data.Select(c => c.Id).OfType<string>().ToList();
            if (_coaches is not null)
            {
                var added = coaches.Except(_coaches, StringComparer.Ordinal).Count();
                var removed = _coaches.Except(coaches, StringComparer.Ordinal).Count();
                if (added + removed > 0)
                {
                    LogChanged(coaches.Count, added, removed);
                }
            }

            _coaches = coaches;
            _readAt = timeProvider.GetUtcNow();
        }
        catch (TwineApiException e)
        {
            // Transient or refused: keep what was read before (or only the configured senders) and try again next run.
            LogUnavailable((int?)e.StatusCode, e.ErrorCode, e.RequestId, _coaches?.Count ?? 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Email senders: {Count} coaches in the organization ({Added} new, {Removed} gone)")]
    private partial void LogChanged(int count, int added, int removed);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Email senders: Twine did not list the organization's coaches (status {StatusCode}, code {ErrorCode}, req_id {RequestId}); polling the {Known} known and the configured senders")]
    private partial void LogUnavailable(int? statusCode, string? errorCode, string? requestId, int known);
}
