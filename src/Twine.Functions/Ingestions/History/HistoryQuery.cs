using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Twine.Functions.Platform.Http;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions.History;

// Over 300 lines: the list's and bulk replay's query rules (strict parameters, time range, a token bound to its filter)
// are one contract that the property tests (HistoryQueryProperties) check as a whole.

/// <summary>What the history list (and bulk replay) selects: statuses (any visible one when empty), kind, partner, a time range.</summary>
public sealed record HistoryFilter(IReadOnlyList<string> Statuses, string? Kind, string? Partner, DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The UTC days the range touches, newest first: the index partitions a query reads.</summary>
    public IEnumerable<string> DaysNewestFirst()
    {
        for (var day = To.UtcDateTime.Date; day >= From.UtcDateTime.Date; day = day.AddDays(-1))
        {
            yield return TableKeys.IndexDay(new DateTimeOffset(day, TimeSpan.Zero));
            if (day == DateTime.MinValue.Date)
            {
                yield break;
            }
        }
    }

    /// <summary>What a continuation token is bound to: a token from one filter is refused with another.</summary>
    public string Fingerprint()
    {
        var text = string.Join("\n", string.Join(",", Statuses.Order(StringComparer.Ordinal)), Kind, Partner,
            From.UtcTicks.ToString(CultureInfo.InvariantCulture), To.UtcTicks.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}

/// <summary>Where the next page starts: after <see cref="RowKey"/> in day <see cref="Day"/>, then the older days.</summary>
public sealed record HistoryCursor(string Day, string RowKey);

/// <summary>A parsed query: the filter, the page size (or, for bulk replay, the limit), the cursor, and bulk replay's dry-run flag.</summary>
public sealed record HistoryQuery(HistoryFilter Filter, int PageSize, HistoryCursor? Cursor, bool DryRun = false);

/// <summary>
/// The query parameters of <c>GET /api/ingestions</c> and <c>POST /api/ingestions/replay</c>, checked strictly before any
/// storage call (a pure function: property-tested in <c>HistoryQueryProperties</c>). Every problem is one
/// <see cref="ProblemError"/> naming its parameter; a query with problems selects nothing.
/// </summary>
public static partial class HistoryQueryParser
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;
    public const int DefaultReplayLimit = 100;

    /// <summary>Bulk replay examines at most this many ingestions per call.</summary>
    public const int MaxReplayLimit = 1000;

    /// <summary>Without from/to the list covers this many days back from now (the default retention).</summary>
    public const int DefaultDays = 30;

    /// <summary>The widest range one call may ask for: a query reads one index partition per day.</summary>
    public const int MaxRangeDays = 92;
    public const int MaxTokenLength = 1000;
    public const int MaxPartnerLength = 64;

    /// <summary>The statuses the list shows (<c>receiving</c> is internal: never listed, like GET /api/ingestions/{id}).</summary>
    public static readonly IReadOnlyList<string> VisibleStatuses =
        ["accepted", "processing", "retrying", "succeeded", "partlySucceeded", "failed"];

    public static readonly IReadOnlyList<string> Kinds = ["metrics", "calendarEvent"];

    /// <summary>The function key may come as <c>code</c> (the Functions host reads it); it is not a filter.</summary>
    private static readonly string[] Ignored = ["code"];
    private static readonly string[] ListParameters = ["status", "kind", "partner", "from", "to", "pageSize", "continuationToken"];
    private static readonly string[] ReplayParameters = ["status", "kind", "partner", "from", "to", "limit", "continuationToken", "dryRun"];

    public static (HistoryQuery? Query, IReadOnlyList<ProblemError> Errors) ParseList(IEnumerable<KeyValuePair<string, string?>> query, DateTimeOffset now) =>
        Parse(query, now, replay: false);

    public static (HistoryQuery? Query, IReadOnlyList<ProblemError> Errors) ParseReplay(IEnumerable<KeyValuePair<string, string?>> query, DateTimeOffset now) =>
        Parse(query, now, replay: true);

    private static (HistoryQuery?, IReadOnlyList<ProblemError>) Parse(IEnumerable<KeyValuePair<string, string?>> query, DateTimeOffset now, bool replay)
    {
        var errors = new List<ProblemError>();
        var allowed = replay ? ReplayParameters : ListParameters;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in query)
        {
            if (Ignored.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                errors.Add(Error(Printable(name), $"Unknown parameter; the parameters are {string.Join(", ", allowed)}."));
            }
            else if (!values.TryAdd(name, value ?? ""))
            {
                errors.Add(Error(name, "Given more than once."));
            }
        }

        var statuses = ParseStatuses(values.GetValueOrDefault("status"), errors);
        var kind = ParseEnum(values.GetValueOrDefault("kind"), "kind", Kinds, errors);
        var partner = ParsePartner(values.GetValueOrDefault("partner"), errors);
        var from = ParseTime(values.GetValueOrDefault("from"), "from", endOfDay: false, errors);
        var to = ParseTime(values.GetValueOrDefault("to"), "to", endOfDay: true, errors);
        var size = replay
            ? ParseInt(values.GetValueOrDefault("limit"), "limit", DefaultReplayLimit, MaxReplayLimit, errors)
            : ParseInt(values.GetValueOrDefault("pageSize"), "pageSize", DefaultPageSize, MaxPageSize, errors);
        var dryRun = replay && ParseBool(values.GetValueOrDefault("dryRun"), "dryRun", errors);
        var token = values.GetValueOrDefault("continuationToken");
        var decoded = token is null ? null : DecodeToken(token, errors);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        if (decoded is { } t)
        {
            // The token carries the range it was made for: a later call without from/to continues the same range.
            if ((from is { } f && f != t.From) || (to is { } u && u != t.To))
            {
                return (null, [Error("continuationToken", "The token was made for another from/to; repeat the first call's parameters.")]);
            }

            from = t.From;
            to = t.To;
        }

        var toValue = to ?? now;
        var fromValue = from ?? (toValue.UtcTicks > TimeSpan.FromDays(DefaultDays).Ticks ? toValue.AddDays(-DefaultDays) : DateTimeOffset.MinValue);
        if (fromValue > toValue)
        {
            return (null, [Error("from", "from is after to.")]);
        }

        if (toValue - fromValue > TimeSpan.FromDays(MaxRangeDays))
        {
            return (null, [Error("from", $"The range from..to is at most {MaxRangeDays} days; ask for older days in several calls.")]);
        }

        var filter = new HistoryFilter(statuses, kind, partner, fromValue, toValue);
        HistoryCursor? cursor = null;
        if (decoded is { } d)
        {
            if (d.Fingerprint != filter.Fingerprint())
            {
                return (null, [Error("continuationToken", "The token was made for other filters; repeat the first call's parameters.")]);
            }

            if (!filter.DaysNewestFirst().Contains(d.Cursor.Day, StringComparer.Ordinal))
            {
                return (null, [Error("continuationToken", "The token points outside its range.")]);
            }

            cursor = d.Cursor;
        }

        return (new HistoryQuery(filter, size, cursor, dryRun), []);
    }

    /// <summary>An opaque token (base64url of a small JSON document): the cursor and the filter it belongs to.</summary>
    public static string EncodeToken(HistoryFilter filter, HistoryCursor cursor)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new TokenDocument(1, cursor.Day, cursor.RowKey, filter.Fingerprint(),
            filter.From.UtcTicks, filter.To.UtcTicks), HistoryJsonContext.Default.TokenDocument);
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private sealed record DecodedToken(HistoryCursor Cursor, string Fingerprint, DateTimeOffset From, DateTimeOffset To);

    private static DecodedToken? DecodeToken(string token, List<ProblemError> errors)
    {
        const string invalid = "Not a continuation token from this API; start again without one.";
        if (token.Length is 0 or > MaxTokenLength || !Base64UrlToken().IsMatch(token))
        {
            errors.Add(Error("continuationToken", invalid));
            return null;
        }

        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var document = JsonSerializer.Deserialize(Convert.FromBase64String(padded), HistoryJsonContext.Default.TokenDocument);
            if (document is { V: 1, D: { } day, K: { } key, F: { } fingerprint } && DayKey().IsMatch(day) && IndexRowKey().IsMatch(key)
                && FingerprintText().IsMatch(fingerprint)
                && document.From is >= 0 and <= 3155378975999999999 && document.To is >= 0 and <= 3155378975999999999)
            {
                return new DecodedToken(new HistoryCursor(day, key), fingerprint,
                    new DateTimeOffset(document.From, TimeSpan.Zero), new DateTimeOffset(document.To, TimeSpan.Zero));
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            // Falls through to the one answer for every bad token.
        }

        errors.Add(Error("continuationToken", invalid));
        return null;
    }

    private static List<string> ParseStatuses(string? value, List<ProblemError> errors)
    {
        if (value is null)
        {
            return [];
        }

        var parts = value.Split(',');
        var statuses = new List<string>();
        foreach (var part in parts)
        {
            if (!VisibleStatuses.Contains(part, StringComparer.Ordinal))
            {
                errors.Add(Error("status", $"Each status is one of {string.Join(", ", VisibleStatuses)} (comma-separated)."));
                return [];
            }

            if (!statuses.Contains(part, StringComparer.Ordinal))
            {
                statuses.Add(part);
            }
        }

        return statuses;
    }

    private static string? ParseEnum(string? value, string name, IReadOnlyList<string> allowed, List<ProblemError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        errors.Add(Error(name, $"One of {string.Join(", ", allowed)}."));
        return null;
    }

    private static string? ParsePartner(string? value, List<ProblemError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (PartnerName().IsMatch(value))
        {
            return value.ToLowerInvariant();
        }

        errors.Add(Error("partner", $"A partner name: 1-{MaxPartnerLength} letters, digits, '-' or '_'."));
        return null;
    }

    private static DateTimeOffset? ParseTime(string? value, string name, bool endOfDay, List<ProblemError> errors)
    {
        if (value is null)
        {
            return null;
        }

        const string rule = "A date-time with seconds and an offset (2026-03-14T09:30:00Z) or a date (2026-03-14, a whole UTC day).";
        if (DateOnlyText().IsMatch(value)
            && DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
        {
            var start = new DateTimeOffset(date, TimeSpan.Zero);
            if (!endOfDay)
            {
                return start;
            }

            return date.Date == DateTime.MaxValue.Date ? DateTimeOffset.MaxValue : start.AddDays(1).AddTicks(-1);
        }

        if (DateTimeText().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            && time.UtcDateTime.Year is >= 1 and <= 9999)
        {
            return time.ToUniversalTime();
        }

        errors.Add(Error(name, rule));
        return null;
    }

    private static int ParseInt(string? value, string name, int fallback, int max, List<ProblemError> errors)
    {
        if (value is null)
        {
            return fallback;
        }

        if (value.Length is > 0 and <= 4 && value.All(char.IsAsciiDigit)
            && int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) is var n && n >= 1 && n <= max)
        {
            return n;
        }

        errors.Add(Error(name, $"An integer from 1 to {max}."));
        return fallback;
    }

    private static bool ParseBool(string? value, string name, List<ProblemError> errors)
    {
        switch (value)
        {
            case null or "false":
                return false;
            case "true" or "":
                return true; // "?dryRun" alone asks for a dry run
            default:
                errors.Add(Error(name, "true or false."));
                return false;
        }
    }

    private static ProblemError Error(string parameter, string detail) => new(detail, Parameter: parameter);

    /// <summary>Unknown parameter names are echoed only as printable ASCII, at most 40 characters.</summary>
    private static string Printable(string name)
    {
        var clean = new string(name.Where(c => c is >= ' ' and <= '~').Take(40).ToArray());
        return clean.Length == 0 ? "(unprintable)" : clean;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}\\z")]
    private static partial Regex PartnerName();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}\\z")]
    private static partial Regex DateOnlyText();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,7})?(Z|[+-][0-9]{2}:[0-9]{2})\\z")]
    private static partial Regex DateTimeText();

    [GeneratedRegex("^[A-Za-z0-9_-]+\\z")]
    private static partial Regex Base64UrlToken();

    [GeneratedRegex("^[0-9]{8}\\z")]
    private static partial Regex DayKey();

    [GeneratedRegex("^[0-9]{19}_[0-9a-f]{32}\\z")]
    private static partial Regex IndexRowKey();

    [GeneratedRegex("^[0-9a-f]{16}\\z")]
    private static partial Regex FingerprintText();
}

/// <summary>The continuation token's JSON (short names: it travels in URLs).</summary>
public sealed record TokenDocument(int V, string? D, string? K, string? F, long From, long To);
