using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>Create requests whose data is one resource or an array (bulk create).</summary>
internal static class Bulk
{
    public static (List<JsonNode?> Items, bool IsArray) Items(JsonObject root) =>
        root["data"] switch
        {
            JsonArray array when array.Count > 0 => (array.ToList(), true),
            JsonArray => throw ApiException.Body("/data", "data must not be an empty array"),
            JsonObject single => ([single], false),
            _ => throw ApiException.Body("/data", "data must be a resource object or an array of them"),
        };

    /// <summary>meta.ignored lists the ids of the existing resources that the skipped items duplicate.</summary>
    public static JsonObject Document(List<JsonObject> created, bool isArray, JsonArray ignored, SandboxState state, string type)
    {
        JsonNode? data;
        if (isArray)
        {
            data = new JsonArray(created.Select(r => (JsonNode)Documents.Render(r)).ToArray());
        }
        else if (created.Count == 1)
        {
            data = Documents.Render(created[0]);
        }
        else
        {
            // A single duplicate that was ignored: answer with the resource that already exists.
            var existingId = ignored.Count > 0 ? (string?)ignored[0] : null;
            data = existingId is not null && state.Store.Get(type, existingId) is { } existing ? Documents.Render(existing) : null;
        }

        var doc = new JsonObject { ["data"] = data, ["included"] = new JsonArray() };
        if (ignored.Count > 0)
        {
            doc["meta"] = new JsonObject { ["ignored"] = ignored };
        }

        return doc;
    }
}
