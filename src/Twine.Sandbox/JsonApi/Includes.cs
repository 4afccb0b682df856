namespace Twine.Sandbox.JsonApi;

/// <summary>The include query parameter, checked against what the operation documents.</summary>
internal static class Includes
{
    public static HashSet<string> Parse(HttpContext context, params string[] allowed)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var raw = context.Request.Query["include"].ToString();
        if (string.IsNullOrWhiteSpace(raw))
        {
            return set;
        }

        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!allowed.Contains(part))
            {
                throw ApiException.Parameter("include", $"include supports: {string.Join(", ", allowed)}");
            }

            set.Add(part);
        }

        return set;
    }
}
