using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Twine.Functions.Platform.Http;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions.History;

/// <summary>
/// GET /api/ingestions (the history list) and GET /api/ingestions/summary (counts by status per day, 14 days). Both read
/// only the history index: one partition query per UTC day the range touches, newest day first, never a table scan.
/// </summary>
public sealed class IngestionHistoryHandler(IngestionIndex index, TimeProvider time, OperatorAccess access)
{
    public const string Instance = "/api/ingestions";
    public const string SummaryInstance = "/api/ingestions/summary";
    public const int SummaryDays = 14;

    /// <param name="principal">The request's X-MS-CLIENT-PRINCIPAL header (<see cref="OperatorAccess"/>).</param>
    public async Task<IResult> ListAsync(StringValues principal, IReadOnlyList<KeyValuePair<string, string?>> query, CancellationToken cancellationToken)
    {
        if (access.Check(principal, Instance) is { } refused)
        {
            return refused;
        }

        var (parsed, errors) = HistoryQueryParser.ParseList(query, time.GetUtcNow());
        if (parsed is null)
        {
            return BadParameters(Instance, errors);
        }

        try
        {
            var (rows, next) = await ReadAsync(parsed.Filter, parsed.Cursor, parsed.PageSize, cancellationToken).ConfigureAwait(false);
            var page = new HistoryPage([.. rows.Select(HistoryItem.From)], next is null ? null : HistoryQueryParser.EncodeToken(parsed.Filter, next),
                parsed.Filter.From, parsed.Filter.To);
            return new BodyResult(StatusCodes.Status200OK, "application/json", JsonSerializer.SerializeToUtf8Bytes(page, HistoryJsonContext.Default.HistoryPage));
        }
        catch (RequestFailedException)
        {
            return Problems.Unavailable(Instance, "The history could not be read. Retry later.");
        }
    }

    public async Task<IResult> SummaryAsync(StringValues principal, CancellationToken cancellationToken)
    {
        if (access.Check(principal, SummaryInstance) is { } refused)
        {
            return refused;
        }

        var today = time.GetUtcNow().UtcDateTime.Date;
        var days = Enumerable.Range(0, SummaryDays).Select(i => new DateTimeOffset(today.AddDays(i - SummaryDays + 1), TimeSpan.Zero)).ToList();
        try
        {
            var counted = await Task.WhenAll(days.Select(d => index.CountStatusesAsync(TableKeys.IndexDay(d), cancellationToken))).ConfigureAwait(false);
            var summary = new HistorySummary([.. days.Select((d, i) =>
            {
                var counts = HistoryQueryParser.VisibleStatuses.ToDictionary(s => s, s => counted[i].GetValueOrDefault(s), StringComparer.Ordinal);
                return new SummaryDay(d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), counts.Values.Sum(), counts);
            })]);
            return new BodyResult(StatusCodes.Status200OK, "application/json", JsonSerializer.SerializeToUtf8Bytes(summary, HistoryJsonContext.Default.HistorySummary));
        }
        catch (RequestFailedException)
        {
            return Problems.Unavailable(SummaryInstance, "The summary could not be read. Retry later.");
        }
    }

    /// <summary>
    /// Up to <paramref name="take"/> index rows matching the filter, newest first, starting after the cursor; and the cursor
    /// of the next page (null when the range is known to hold no more).
    /// </summary>
    public async Task<(List<IngestionIndexEntity> Rows, HistoryCursor? Next)> ReadAsync(HistoryFilter filter, HistoryCursor? cursor, int take,
        CancellationToken cancellationToken)
    {
        var rows = new List<IngestionIndexEntity>(take);
        var days = filter.DaysNewestFirst().ToList();
        var start = cursor is null ? 0 : days.IndexOf(cursor.Day);
        for (var i = Math.Max(start, 0); i < days.Count; i++)
        {
            var after = cursor is not null && i == start ? cursor.RowKey : null;
            var left = take - rows.Count;
            var found = await index.QueryDayAsync(days[i], filter.From, filter.To, after, filter.Statuses, filter.Kind, filter.Partner, left + 1,
                cancellationToken).ConfigureAwait(false);
            if (found.Count > left)
            {
                rows.AddRange(found.Take(left));
                return (rows, new HistoryCursor(days[i], rows[^1].RowKey));
            }

            rows.AddRange(found);
            if (rows.Count == take)
            {
                return (rows, i == days.Count - 1 ? null : new HistoryCursor(days[i], rows[^1].RowKey));
            }
        }

        return (rows, null);
    }

    public static BodyResult BadParameters(string instance, IReadOnlyList<ProblemError> errors) =>
        Problems.BadRequest(instance, errors.Count == 1 ? errors[0].Detail : $"{errors.Count} parameters are wrong; see errors.", errors);
}
