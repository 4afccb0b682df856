using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;

namespace Twine.Sandbox.JsonApi;

/// <summary>Reads and checks request documents; every problem becomes a spec-shaped 4xx.</summary>
internal static class RequestBody
{
    public static bool IsJsonApi(HttpRequest request) => MediaTypeIs(request, JsonApiResult.MediaType);

    public static bool MediaTypeIs(HttpRequest request, string mediaType) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed)
        && parsed.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a JSON:API body. Another media type is 403 Forbidden, as the spec says for every operation.</summary>
    public static async Task<JsonNode> ReadJsonApiAsync(HttpContext context)
    {
        if (!IsJsonApi(context.Request))
        {
            throw ApiException.Forbidden($"Content-Type must be {JsonApiResult.MediaType}");
        }

        return await ParseAsync(context);
    }

    public static async Task<JsonNode> ParseAsync(HttpContext context)
    {
        try
        {
            var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return node ?? throw ApiException.Body("", "The request body must be a JSON document");
        }
        catch (JsonException e)
        {
            throw ApiException.Body("", "The request body is not valid JSON: " + e.Message);
        }
    }

    /// <summary>The single resource object under data, of the route's type.</summary>
    public static JsonObject Data(JsonNode root, string type, bool requireAttributes = true)
    {
        if (root is not JsonObject doc || doc["data"] is not JsonObject data)
        {
            throw ApiException.Body("/data", "data must be a resource object");
        }

        CheckType(data, type, "/data");
        if (requireAttributes && data["attributes"] is not JsonObject)
        {
            throw ApiException.Body("/data/attributes", "attributes must be an object");
        }

        return data;
    }

    public static void CheckType(JsonObject resource, string type, string pointer)
    {
        var actual = StringOrNull(resource["type"]);
        if (actual != type)
        {
            throw ApiException.Body(pointer + "/type", $"type must be '{type}'");
        }
    }

    public static JsonObject Attributes(JsonObject data) => data["attributes"] as JsonObject ?? new JsonObject();

    public static string? StringOrNull(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>A string attribute; null when absent. Wrong JSON kinds are a 409 with the pointer.</summary>
    public static string? OptionalString(JsonObject attributes, string name, string pointer)
    {
        if (!attributes.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return StringOrNull(node) ?? throw ApiException.Body(pointer + "/" + name, $"{name} must be a string");
    }

    public static string RequiredString(JsonObject attributes, string name, string pointer, bool allowEmpty = false)
    {
        var value = OptionalString(attributes, name, pointer) ?? throw ApiException.Body(pointer + "/" + name, $"{name} is required");
        if (!allowEmpty && value.Trim().Length == 0)
        {
            throw ApiException.Body(pointer + "/" + name, $"{name} must not be empty");
        }

        return value;
    }

    public static bool? OptionalBool(JsonObject attributes, string name, string pointer)
    {
        if (!attributes.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : throw ApiException.Body(pointer + "/" + name, $"{name} must be a boolean");
    }

    public static double? OptionalNumber(JsonObject attributes, string name, string pointer)
    {
        if (!attributes.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? v.GetValue<double>()
            : throw ApiException.Body(pointer + "/" + name, $"{name} must be a number");
    }

    public static string? OptionalEnum(JsonObject attributes, string name, string pointer, IReadOnlyCollection<string> allowed)
    {
        var value = OptionalString(attributes, name, pointer);
        if (value is not null && !allowed.Contains(value))
        {
            throw ApiException.Body(pointer + "/" + name, $"{name} must be one of: {string.Join(", ", allowed)}");
        }

        return value;
    }

    /// <summary>An ISO 8601 date-time with an offset (or Z).</summary>
    public static DateTimeOffset? OptionalDateTime(JsonObject attributes, string name, string pointer)
    {
        var text = OptionalString(attributes, name, pointer);
        if (text is null)
        {
            return null;
        }

        return Dates.TryParseDateTime(text, out var value)
            ? value
            : throw ApiException.Body(pointer + "/" + name, $"{name} must be an ISO 8601 date-time, e.g. 2017-03-14T11:00:57.000Z");
    }

    /// <summary>A calendar date (yyyy-MM-dd).</summary>
    public static string? OptionalDate(JsonObject attributes, string name, string pointer)
    {
        var text = OptionalString(attributes, name, pointer);
        if (text is null)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? text
            : throw ApiException.Body(pointer + "/" + name, $"{name} must be a date (yyyy-MM-dd)");
    }
}

internal static class Dates
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
    ];

    public static bool TryParseDateTime(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value)
        && (text.EndsWith('Z') || text.EndsWith('z') || text.LastIndexOfAny(['+', '-']) > 10);

    /// <summary>How the sandbox writes times: UTC with milliseconds, like the spec's examples.</summary>
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Re-reads a stored time (null when absent or unreadable).</summary>
    public static DateTimeOffset? Read(JsonNode? node) =>
        RequestBody.StringOrNull(node) is { } s && TryParseDateTime(s, out var v) ? v : null;
}
