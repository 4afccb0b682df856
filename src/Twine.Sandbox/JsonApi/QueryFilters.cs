using System.Text.Json.Nodes;

namespace Twine.Sandbox.JsonApi;

/// <summary>start (inclusive) .. end (exclusive); either side may be open.</summary>
internal readonly record struct DateRange(DateTimeOffset? From, DateTimeOffset? To)
{
    public bool Contains(DateTimeOffset? value) =>
        value is { } v && (From is null || v >= From) && (To is null || v < To);
}

/// <summary>Query filters and sorts; unknown or malformed ones are 409 InvalidParameter with source.parameter.</summary>
internal static class QueryFilters
{
    /// <summary>Rejects filter[...]/sort/include parameters the operation does not document.</summary>
    public static void Allow(HttpContext context, string[] filters, bool sort = false, bool include = false)
    {
        foreach (var key in context.Request.Query.Keys)
        {
            if (key.StartsWith("page[", StringComparison.Ordinal)
                || (sort && key == "sort") || (include && key == "include") || filters.Contains(key))
            {
                continue;
            }

            if (key.StartsWith("filter[", StringComparison.Ordinal) || key is "sort" or "include")
            {
                throw ApiException.Parameter(key, $"{key} is not supported here; supported: {string.Join(", ", filters)}");
            }
        }
    }

    public static string? Text(HttpContext context, string name)
    {
        var values = context.Request.Query[name];
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1 || string.IsNullOrWhiteSpace(values[0]))
        {
            throw ApiException.Parameter(name, $"{name} must have one non-empty value");
        }

        return values[0]!.Trim();
    }

    public static HashSet<string>? Ids(HttpContext context, string name) =>
        Text(context, name) is { } text
            ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
            : null;

    public static bool? Bool(HttpContext context, string name) =>
        Text(context, name) switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => throw ApiException.Parameter(name, $"{name} must be true or false"),
        };

    public static string? Enum(HttpContext context, string name, IReadOnlyCollection<string> allowed)
    {
        var value = Text(context, name);
        if (value is not null && !allowed.Contains(value))
        {
            throw ApiException.Parameter(name, $"{name} must be one of: {string.Join(", ", allowed)}");
        }

        return value;
    }

    public static DateRange? Range(HttpContext context, string name)
    {
        var text = Text(context, name);
        if (text is null)
        {
            return null;
        }

        var parts = text.Split("..");
        if (parts.Length != 2 || (parts[0].Length == 0 && parts[1].Length == 0))
        {
            throw ApiException.Parameter(name, $"{name} must be <start>..<end> (ISO 8601 date-times, start inclusive, end exclusive)");
        }

        DateTimeOffset? Side(string s)
        {
            if (s.Length == 0)
            {
                return null;
            }

            // A '+' offset arrives as a space when the client did not escape it.
            var candidate = s.Replace(' ', '+');
            return Dates.TryParseDateTime(candidate, out var value)
                ? value
                : throw ApiException.Parameter(name, $"'{s}' in {name} is not an ISO 8601 date-time");
        }

        var range = new DateRange(Side(parts[0]), Side(parts[1]));
        if (range.From is { } from && range.To is { } to && to < from)
        {
            throw ApiException.Parameter(name, $"{name}: the end must not be before the start");
        }

        return range;
    }

    /// <summary>sort=a,-b over named keys; stable, so ties keep insertion order.</summary>
    public static List<JsonObject> Sort(HttpContext context, List<JsonObject> items, IReadOnlyDictionary<string, Func<JsonObject, IComparable?>> keys)
    {
        var text = Text(context, "sort");
        if (text is null)
        {
            return items;
        }

        IOrderedEnumerable<JsonObject>? ordered = null;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var descending = part.StartsWith('-');
            var name = descending ? part[1..] : part;
            if (!keys.TryGetValue(name, out var key))
            {
                throw ApiException.Parameter("sort", $"sort supports: {string.Join(", ", keys.Keys.SelectMany(k => new[] { k, "-" + k }))}");
            }

            var comparer = Comparer<IComparable?>.Create((a, b) => a is null ? (b is null ? 0 : -1) : b is null ? 1 : a.CompareTo(b));
            ordered = ordered is null
                ? descending ? items.OrderByDescending(key, comparer) : items.OrderBy(key, comparer)
                : descending ? ordered.ThenByDescending(key, comparer) : ordered.ThenBy(key, comparer);
        }

        return ordered?.ToList() ?? items;
    }
}
