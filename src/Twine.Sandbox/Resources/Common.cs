using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;
using Twine.Sandbox.Store;

namespace Twine.Sandbox.Resources;

/// <summary>Helpers every resource family uses: lookups, new resources, relationships, scopes.</summary>
internal static class Common
{
    public static JsonObject Find(SandboxState state, string type, string id) =>
        state.Store.Get(type, id) ?? throw ApiException.NotFound(type, id);

    public static JsonObject NewResource(string type, JsonObject attributes, JsonObject? relationships, string now, string? id = null)
    {
        attributes["created_at"] = now;
        attributes["updated_at"] = now;
        var resource = new JsonObject { ["type"] = type, ["id"] = id ?? ResourceStore.NewId(), ["attributes"] = attributes };
        if (relationships is { Count: > 0 })
        {
            resource["relationships"] = relationships;
        }

        return resource;
    }

    public static JsonObject ToOne(string type, string id) => new() { ["data"] = Documents.Identifier(type, id) };

    public static JsonObject ToMany(string type, IEnumerable<string> ids) =>
        new() { ["data"] = new JsonArray(ids.Select(id => (JsonNode)Documents.Identifier(type, id)).ToArray()) };

    /// <summary>PATCH bodies name the resource they change; a different id is a 409.</summary>
    public static void CheckSameId(JsonObject data, string id)
    {
        var given = RequestBody.StringOrNull(data["id"]);
        if (data["id"] is not null && given != id)
        {
            throw ApiException.Body("/data/id", $"data.id must be '{id}' (the id in the path)");
        }
    }

    /// <summary>Copies attributes onto a stored resource: null removes, anything else replaces.</summary>
    public static void Merge(JsonObject target, JsonObject changes)
    {
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    public static HashSet<string> GroupsOf(JsonObject resource) => Documents.RelatedIds(resource, "groups").ToHashSet(StringComparer.Ordinal);

    public static string? OrganizationOfGroup(ResourceStore store, string groupId) =>
        store.Get("group", groupId) is { } group ? Documents.RelatedId(group, "organization") : null;

    public static HashSet<string> OrganizationsOf(ResourceStore store, JsonObject patient) =>
        GroupsOf(patient).Select(g => OrganizationOfGroup(store, g)).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The patients a list request is scoped to by filter[patient], filter[groups] and filter[organization]
    /// (all given ones apply). At least one scope filter is required, as the spec says; null if none given.
    /// </summary>
    public static HashSet<string>? PatientScope(HttpContext context, OrgScope scope, bool patientFilter = true)
    {
        var state = scope.State;
        var patient = patientFilter ? QueryFilters.Text(context, "filter[patient]") : null;
        var groups = QueryFilters.Ids(context, "filter[groups]");
        var organization = QueryFilters.Text(context, "filter[organization]");
        if (patient is null && groups is null && organization is null)
        {
            return null;
        }

        var patients = state.Store.Snapshot("patient");
        return patients
            .Where(p => patient is null || (string?)p["id"] == patient)
            .Where(p => groups is null || GroupsOf(p).Overlaps(groups))
            .Where(p => organization is null || OrganizationsOf(state.Store, p).Contains(organization))
            .Where(scope.Owns) // only the token's organization, whatever the filters name
            .Select(p => (string)p["id"]!)
            .ToHashSet(StringComparer.Ordinal);
    }

    public static ApiException ScopeRequired(params string[] names) =>
        ApiException.Parameter(names[0], $"One of these filters is required: {string.Join(", ", names)}");

    /// <summary>Distinct related resources for included (missing ones and other organizations' are skipped).</summary>
    public static JsonArray Related(OrgScope scope, IEnumerable<JsonObject> items, string relationship, string type, JsonArray? into = null)
    {
        var state = scope.State;
        var included = into ?? new JsonArray();
        var seen = included.Select(n => $"{(string?)n?["type"]}/{(string?)n?["id"]}").ToHashSet(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var ids = item["relationships"]?[relationship]?["data"] is JsonArray
                ? Documents.RelatedIds(item, relationship)
                : Documents.RelatedId(item, relationship) is { } one ? [one] : [];
            foreach (var id in ids)
            {
                if (seen.Add($"{type}/{id}") && state.Store.Get(type, id) is { } related && scope.Owns(related))
                {
                    included.Add(Documents.Render(related));
                }
            }
        }

        return included;
    }

    public static IResult Ok(JsonObject document) => new JsonApiResult(200, document);

    public static IResult Created(JsonObject document) => new JsonApiResult(201, document);
}
