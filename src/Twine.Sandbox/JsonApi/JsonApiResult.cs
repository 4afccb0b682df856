using System.Text.Json;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.JsonApi;

/// <summary>Writes a JSON:API document with meta.req_id and the vnd.api+json media type.</summary>
internal sealed class JsonApiResult(int status, JsonObject? document) : IResult
{
    public const string MediaType = "application/vnd.api+json";

    // Relaxed escaping keeps "+" and quotes readable; the media type is JSON, not HTML.
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public int Status => status;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, status, document);

    public static async Task WriteAsync(HttpContext context, int status, JsonObject? document, TimeSpan? retryAfter = null)
    {
        document ??= new JsonObject();
        var meta = document["meta"] as JsonObject;
        if (meta is null)
        {
            meta = new JsonObject();
            // meta first reads better; JsonObject keeps insertion order.
            var rest = document.ToList();
            document.Clear();
            document["meta"] = meta;
            foreach (var (key, value) in rest)
            {
                document[key] = value;
            }
        }

        meta["req_id"] ??= RequestId.Of(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = MediaType;
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await context.Response.WriteAsync(document.ToJsonString(Compact), context.RequestAborted);
    }

    public static Task WriteErrorsAsync(HttpContext context, IReadOnlyList<ApiError> errors, TimeSpan? retryAfter = null)
    {
        var array = new JsonArray();
        foreach (var error in errors)
        {
            array.Add(error.ToJson());
        }

        return WriteAsync(context, errors[0].Status, new JsonObject { ["errors"] = array }, retryAfter);
    }
}

/// <summary>One req_id per request, reused by every document written for it.</summary>
internal static class RequestId
{
    private const string Key = "twine.req_id";

    public static string Of(HttpContext context)
    {
        if (context.Items.TryGetValue(Key, out var value) && value is string id)
        {
            return id;
        }

        id = Guid.NewGuid().ToString();
        context.Items[Key] = id;
        return id;
    }
}
