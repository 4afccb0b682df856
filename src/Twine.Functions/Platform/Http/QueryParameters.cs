using Microsoft.AspNetCore.Http;

namespace Twine.Functions.Platform.Http;

/// <summary>A request's query as name/value pairs, a name given twice appearing twice (so parsers can refuse it).</summary>
public static class QueryParameters
{
    public static IReadOnlyList<KeyValuePair<string, string?>> From(IQueryCollection query) =>
        [.. query.SelectMany(p => p.Value.Count == 0 ? [new KeyValuePair<string, string?>(p.Key, "")] : p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)))];
}
