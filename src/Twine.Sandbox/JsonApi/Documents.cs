using System.Text.Json.Nodes;

namespace Twine.Sandbox.JsonApi;

/// <summary>Builds response documents from stored resources.</summary>
internal static class Documents
{
    public const string BasePath = "/pub";

    /// <summary>A stored resource as served: a copy with links.self.</summary>
    public static JsonObject Render(JsonObject stored)
    {
        var resource = stored.DeepClone().AsObject();
        resource.Remove(Resources.OrgScope.OrganizationMember); // the sandbox's own bookkeeping, not part of the resource
        var self = $"{BasePath}/{(string?)resource["type"]}/{(string?)resource["id"]}";
        resource["links"] = new JsonObject { ["self"] = self };

        // The related links the sandbox also serves (a patient's groups and coaches), as in the spec's examples.
        if ((string?)resource["type"] == "patient" && resource["relationships"] is JsonObject relationships)
        {
            foreach (var name in new[] { "groups", "coaches" })
            {
                if (relationships[name] is JsonObject relationship)
                {
                    relationship["links"] = new JsonObject { ["related"] = $"{self}/{name}" };
                }
            }
        }

        return resource;
    }

    public static JsonObject Single(JsonObject stored, JsonArray? included = null)
    {
        var doc = new JsonObject { ["data"] = Render(stored) };
        if (included is not null)
        {
            doc["included"] = included;
        }

        return doc;
    }

    public static JsonObject Identifier(string type, string id) => new() { ["type"] = type, ["id"] = id };

    /// <summary>A to-one relationship id, or null.</summary>
    public static string? RelatedId(JsonObject resource, string relationship) =>
        RequestBody.StringOrNull(resource["relationships"]?[relationship]?["data"]?["id"]);

    /// <summary>To-many relationship ids (empty when absent).</summary>
    public static List<string> RelatedIds(JsonObject resource, string relationship) =>
        resource["relationships"]?[relationship]?["data"] is JsonArray array
            ? array.Select(n => RequestBody.StringOrNull(n?["id"])).OfType<string>().ToList()
            : [];

    public static string? Attr(JsonObject resource, string name) => RequestBody.StringOrNull(resource["attributes"]?[name]);

    public static JsonObject Ok(JsonObject stored) => Single(stored);
}
