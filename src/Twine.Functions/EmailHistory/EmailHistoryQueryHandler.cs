using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Twine.Functions.Platform.Http;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// GET /api/email-history?patient={id}&amp;pageSize={1..1000}&amp;continuationToken={token}: one partition query
/// (PK = the patient), paged by the Table service's continuation, wrapped in an opaque token bound to the patient.
/// </summary>
public sealed class EmailHistoryQueryHandler(PollingTables tables)
{
    public const string Path = "/api/email-history";
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public async Task<IResult> HandleAsync(string? patient, string? pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var errors = new List<ProblemError>();
        if (string.IsNullOrEmpty(patient) || patient.Length != 24 || !patient.All(Uri.IsHexDigit))
        {
            errors.Add(new ProblemError("patient is required: a Twine patient id (24 hexadecimal digits).", Parameter: "patient"));
        }

        var size = DefaultPageSize;
        if (pageSize is not null && (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            errors.Add(new ProblemError($"pageSize must be a whole number from 1 to {MaxPageSize}.", Parameter: "pageSize"));
        }

        string? tableToken = null;
        if (continuationToken is not null && errors.Count == 0 && (tableToken = Unwrap(continuationToken, patient!)) is null)
        {
            errors.Add(new ProblemError("continuationToken is not one this endpoint returned for this patient.", Parameter: "continuationToken"));
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest(Path, errors.Count == 1 ? errors[0].Detail : $"{errors.Count} problems were found; see errors.", errors);
        }

        Page<TableEntity> page;
        try
        {
            var query = tables.EmailHistory.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {patient}"), size, cancellationToken: cancellationToken);
            page = await FirstPageAsync(query.AsPages(tableToken, size)).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 400)
        {
            return Problems.BadRequest(Path, "continuationToken is no longer valid.", [new ProblemError("Start again without it.", Parameter: "continuationToken")]);
        }
        catch (RequestFailedException)
        {
            return Problems.Unavailable(Path, "The email history could not be read. Retry later.");
        }

        var next = page.ContinuationToken is { } t ? Wrap(patient!, t) : null;
        var body = new EmailHistoryPage(
            patient!,
            page.Values.Select(ToItem).ToList(),
            next,
            next is null ? null : QueryHelpers.AddQueryString(Path, new Dictionary<string, string?> { ["patient"] = patient, ["pageSize"] = size.ToString(CultureInfo.InvariantCulture), ["continuationToken"] = next }));
        return new BodyResult(StatusCodes.Status200OK, "application/json", JsonSerializer.SerializeToUtf8Bytes(body, EmailHistoryJsonContext.Default.EmailHistoryPage));
    }

    public static EmailHistoryItem ToItem(TableEntity row)
    {
        var times = new SortedDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var status in EmailHistoryRow.Statuses)
        {
            if (row.GetDateTimeOffset(EmailHistoryRow.StatusPrefix + status) is { } at)
            {
                times[status] = at;
            }
        }

        var current = EmailHistoryRow.Current(EmailHistoryRow.Statuses.Where(times.ContainsKey).Select(s => (s, times[s])));
        return new EmailHistoryItem
        {
            Id = row.RowKey,
            EmailType = row.GetString("EmailType"),
            SendTime = row.GetDateTimeOffset("SendTime"),
            Sender = row.GetString("Sender"),
            Receiver = row.PartitionKey,
            Status = current?.Status,
            StatusAt = current?.At,
            StatusTimes = times,
            EmailAddressHash = row.GetString("EmailAddressHash"),
            UpdatedAt = row.GetDateTimeOffset("UpdatedAt"),
            PolledAt = row.GetDateTimeOffset("PolledAt"),
        };
    }

    private static async Task<Page<TableEntity>> FirstPageAsync(IAsyncEnumerable<Page<TableEntity>> pages)
    {
        await foreach (var page in pages.ConfigureAwait(false))
        {
            return page;
        }

        return Page<TableEntity>.FromValues([], null, null!);
    }

    private static string Wrap(string patient, string tableToken) =>
        WebEncoders.Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(new EmailHistoryCursor(patient, tableToken), EmailHistoryJsonContext.Default.EmailHistoryCursor));

    private static string? Unwrap(string token, string patient)
    {
        try
        {
            var cursor = JsonSerializer.Deserialize(WebEncoders.Base64UrlDecode(token), EmailHistoryJsonContext.Default.EmailHistoryCursor);
            return cursor is not null && cursor.P == patient && !string.IsNullOrEmpty(cursor.T) ? cursor.T : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
