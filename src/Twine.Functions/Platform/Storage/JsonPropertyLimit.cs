using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Twine.Functions.Platform.Storage;

/// <summary>
/// Table Storage allows 64 KiB per string property, stored as UTF-16: 32,768 characters. Lists kept as JSON in one
/// property are cut (from the end) to fit, and the caller stores a "truncated" flag beside them.
/// </summary>
public static class JsonPropertyLimit
{
    public const int MaxChars = 30_000;

    public static (string? Json, bool Truncated) Serialize<T>(IReadOnlyList<T> items, JsonTypeInfo<List<T>> typeInfo, int maxChars = MaxChars)
    {
        if (items.Count == 0)
        {
            return (null, false);
        }

        var list = items as List<T> ?? [.. items];
        var json = JsonSerializer.Serialize(list, typeInfo);
        if (json.Length <= maxChars)
        {
            return (json, false);
        }

        // Shrink proportionally, then step down until it fits; each step is one serialization of a bounded list.
        var keep = Math.Max(0, (int)((long)list.Count * maxChars / json.Length));
        while (keep > 0)
        {
            json = JsonSerializer.Serialize(list.GetRange(0, keep), typeInfo);
            if (json.Length <= maxChars)
            {
                return (json, true);
            }

            keep = Math.Min(keep - 1, (int)((long)keep * maxChars / json.Length));
        }

        return ("[]", true);
    }

    public static IReadOnlyList<T> Deserialize<T>(string? json, JsonTypeInfo<List<T>> typeInfo) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize(json, typeInfo) ?? [];
}
