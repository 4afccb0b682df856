using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.JsonApi;

/// <summary>Page size rules of one list operation (defaults and maximums from the spec).</summary>
internal sealed record PagingRules(int DefaultSize, int MaxSize, int DefaultLimit = 50, int MaxLimit = 500)
{
    /// <summary>Most list operations: page[size] default 10, maximum 50; page[limit] default 50.</summary>
    public static readonly PagingRules Standard = new(10, 50);

    /// <summary>health_profile_answer: page[size] default 50, maximum 100.</summary>
    public static readonly PagingRules Answers = new(50, 100);

    /// <summary>Lists the spec documents without paging answer everything unless page parameters are given.</summary>
    public static readonly PagingRules Unpaged = new(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue);
}

/// <summary>
/// Skip paging (page[number]/page[size]) and cursor paging (page[limit]/page[after], page[cursor] as a
/// synonym). Never both. meta.count is the total matching count; a size or limit of 0 returns only the count.
/// </summary>
internal static class Paging
{
    public static JsonObject Page(HttpContext context, IReadOnlyList<JsonObject> items, PagingRules rules, Func<IReadOnlyList<JsonObject>, JsonArray>? include = null)
    {
        var query = context.Request.Query;
        foreach (var key in query.Keys)
        {
            if (key.StartsWith("page[", StringComparison.Ordinal) && key is not ("page[number]" or "page[size]" or "page[limit]" or "page[after]" or "page[cursor]"))
            {
                throw ApiException.Parameter(key, $"{key} is not a paging parameter (use page[number]/page[size] or page[limit]/page[after])");
            }
        }

        var skipStyle = query.ContainsKey("page[number]") || query.ContainsKey("page[size]");
        var cursorStyle = query.ContainsKey("page[limit]") || query.ContainsKey("page[after]") || query.ContainsKey("page[cursor]");
        if (skipStyle && cursorStyle)
        {
            throw ApiException.Parameter("page", "Skip paging (page[number], page[size]) and cursor paging (page[limit], page[after]) cannot be mixed");
        }

        var (selected, links) = cursorStyle ? Cursor(context, items, rules) : Skip(context, items, rules, explicitPaging: skipStyle);
        var doc = new JsonObject
        {
            ["meta"] = new JsonObject { ["count"] = items.Count },
            ["links"] = links,
            ["data"] = new JsonArray(selected.Select(r => (JsonNode)Documents.Render(r)).ToArray()),
        };
        if (include is not null)
        {
            doc["included"] = include(selected);
        }

        return doc;
    }

    private static (IReadOnlyList<JsonObject>, JsonObject) Skip(HttpContext context, IReadOnlyList<JsonObject> items, PagingRules rules, bool explicitPaging)
    {
        var size = Integer(context, "page[size]", rules.DefaultSize, 0, rules.MaxSize);
        var number = Integer(context, "page[number]", 1, 1, int.MaxValue);
        var links = new JsonObject();
        if (size == 0)
        {
            links["self"] = Link(context, ("page[number]", number), ("page[size]", 0));
            return ([], links);
        }

        var last = Math.Max(1, (int)Math.Ceiling(items.Count / (double)size));
        var selected = items.Skip((int)Math.Min(int.MaxValue, (long)(number - 1) * size)).Take(size).ToList();
        if (!explicitPaging && size == int.MaxValue)
        {
            links["self"] = Link(context);
            return (selected, links);
        }

        links["self"] = Link(context, ("page[number]", number), ("page[size]", size));
        links["first"] = Link(context, ("page[number]", 1), ("page[size]", size));
        links["last"] = Link(context, ("page[number]", last), ("page[size]", size));
        if (number > 1)
        {
            links["prev"] = Link(context, ("page[number]", Math.Min(number - 1, last)), ("page[size]", size));
        }

        if (number < last)
        {
            links["next"] = Link(context, ("page[number]", number + 1), ("page[size]", size));
        }

        return (selected, links);
    }

    private static (IReadOnlyList<JsonObject>, JsonObject) Cursor(HttpContext context, IReadOnlyList<JsonObject> items, PagingRules rules)
    {
        var limit = Integer(context, "page[limit]", rules.DefaultLimit, 0, rules.MaxLimit);
        var after = context.Request.Query["page[after]"].ToString();
        var cursor = context.Request.Query["page[cursor]"].ToString();
        if (after.Length > 0 && cursor.Length > 0 && after != cursor)
        {
            throw ApiException.Parameter("page[cursor]", "page[after] and page[cursor] name the same cursor; give one");
        }

        var token = after.Length > 0 ? after : cursor;
        var start = 0;
        if (token.Length > 0)
        {
            // The cursor names the last resource of the previous page, so inserts before it do not shift pages.
            var id = DecodeCursor(token) ?? throw ApiException.Parameter(after.Length > 0 ? "page[after]" : "page[cursor]", "The cursor is not valid");
            var index = items.ToList().FindIndex(r => (string?)r["id"] == id);
            if (index < 0)
            {
                throw ApiException.Parameter(after.Length > 0 ? "page[after]" : "page[cursor]", "The cursor does not match this collection");
            }

            start = index + 1;
        }

        var links = new JsonObject();
        var pairs = new List<(string, object)> { ("page[limit]", limit) };
        if (token.Length > 0)
        {
            pairs.Add(("page[after]", token));
        }

        links["self"] = Link(context, [.. pairs]);
        if (limit == 0)
        {
            return ([], links);
        }

        var selected = items.Skip(start).Take(limit).ToList();
        if (start + selected.Count < items.Count && selected.Count > 0)
        {
            links["next"] = Link(context, ("page[limit]", limit), ("page[after]", EncodeCursor((string)selected[^1]["id"]!)));
        }

        return (selected, links);
    }

    public static string EncodeCursor(string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("id:" + id)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? DecodeCursor(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            return text.StartsWith("id:", StringComparison.Ordinal) ? text[3..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static int Integer(HttpContext context, string name, int fallback, int min, int max)
    {
        var values = context.Request.Query[name];
        if (values.Count == 0)
        {
            return fallback;
        }

        if (values.Count > 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw ApiException.Parameter(name, $"{name} must be a non-negative integer");
        }

        if (value < min || value > max)
        {
            throw ApiException.Parameter(name, $"{name} must be between {min} and {max}");
        }

        return value;
    }

    /// <summary>The request's own path and query with the page parameters replaced (relative, like the spec's links).</summary>
    private static string Link(HttpContext context, params (string Key, object Value)[] page)
    {
        var parts = new List<string>();
        foreach (var (key, values) in context.Request.Query)
        {
            if (key.StartsWith("page[", StringComparison.Ordinal))
            {
                continue;
            }

            parts.AddRange(values.Select(v => key + "=" + Uri.EscapeDataString(v ?? "")));
        }

        parts.AddRange(page.Select(p => p.Key + "=" + Uri.EscapeDataString(Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? "")));
        var path = context.Request.PathBase + context.Request.Path;
        return parts.Count == 0 ? path : path + "?" + string.Join("&", parts);
    }
}
