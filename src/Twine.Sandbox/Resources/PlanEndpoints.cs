using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>action and bundle: the pieces of a patient's plan (create, fetch, update).</summary>
internal static class PlanEndpoints
{
    private const string At = "/data/attributes";

    public static void Map(RouteGroupBuilder pub)
    {
        // The spec answers createAction with 201 and createBundle with 200.
        pub.MapPost("/action", (HttpContext context, SandboxState state) => Create(context, state, "action", "bundles", "bundle", 201));
        pub.MapGet("/action/{id}", (string id, HttpContext context, SandboxState state) => Common.Ok(Documents.Single(OrgScope.Of(context, state).Find("action", id), [])));
        pub.MapMethods("/action/{id}", ["PATCH"], (string id, HttpContext context, SandboxState state) => Update(id, context, state, "action", "bundles", "bundle"));

        pub.MapPost("/bundle", (HttpContext context, SandboxState state) => Create(context, state, "bundle", "actions", "action", 200));
        pub.MapGet("/bundle/{id}", (string id, HttpContext context, SandboxState state) => Common.Ok(Documents.Single(OrgScope.Of(context, state).Find("bundle", id), [])));
        pub.MapMethods("/bundle/{id}", ["PATCH"], (string id, HttpContext context, SandboxState state) => Update(id, context, state, "bundle", "actions", "action"));
    }

    private static async Task<IResult> Create(HttpContext context, SandboxState state, string type, string linkName, string linkType, int status)
    {
        var scope = OrgScope.Of(context, state);
        var data = RequestBody.Data(await RequestBody.ReadJsonApiAsync(context), type);
        var attributes = Clean(RequestBody.Attributes(data));
        RequestBody.RequiredString(attributes, "type", At);
        RequestBody.RequiredString(attributes, "title", At);
        if (attributes["effective_from"] is null)
        {
            throw ApiException.Body(At + "/effective_from", "effective_from is required");
        }

        Validate(attributes);
        var relationships = Relationships(scope, data, linkName, linkType);
        var resource = Common.NewResource(type, attributes, relationships, state.Now());
        resource[OrgScope.OrganizationMember] = scope.OrganizationId; // plans are not served: remember whose it is
        state.Store.Add(resource);
        return new JsonApiResult(status, Documents.Single(resource, []));
    }

    private static async Task<IResult> Update(string id, HttpContext context, SandboxState state, string type, string linkName, string linkType)
    {
        var scope = OrgScope.Of(context, state);
        var data = RequestBody.Data(await RequestBody.ReadJsonApiAsync(context), type, requireAttributes: false);
        Common.CheckSameId(data, id);

        // Another organization's action or bundle is 403 before anything in the body is looked at.
        scope.Find(type, id);
        if (data["attributes"] is not null and not JsonObject)
        {
            throw ApiException.Body(At, "attributes must be an object");
        }

        var changes = Clean(data["attributes"] as JsonObject ?? []);
        var relationships = Relationships(scope, data, linkName, linkType);
        // Read-modify-write without a lock held while validating; a concurrent update makes it run again on the newer one.
        var updated = state.Store.Update(type, id, next =>
        {
            var attributes = next["attributes"]!.AsObject();
            Common.Merge(attributes, changes);
            RequestBody.RequiredString(attributes, "title", At);
            RequestBody.RequiredString(attributes, "type", At);
            Validate(attributes);
            attributes["updated_at"] = state.Now();
            if (relationships.Count > 0)
            {
                var current = next["relationships"] as JsonObject ?? [];
                Common.Merge(current, relationships);
                next["relationships"] = current;
            }

            return next;
        }) ?? throw ApiException.NotFound(type, id);

        return Common.Ok(Documents.Single(updated, []));
    }

    private static JsonObject Clean(JsonObject given)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in given)
        {
            // adherence and static_title are read-only in ActionResource.
            if (key is not ("created_at" or "updated_at" or "adherence" or "static_title"))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    private static void Validate(JsonObject attributes)
    {
        var from = RequestBody.OptionalDateTime(attributes, "effective_from", At) ?? throw ApiException.Body(At + "/effective_from", "effective_from is required");
        var to = RequestBody.OptionalDateTime(attributes, "effective_to", At);
        if (to is { } end && end < from)
        {
            throw ApiException.Body(At + "/effective_to", "effective_to must not be before effective_from");
        }

        RequestBody.OptionalBool(attributes, "tracking", At);
        RequestBody.OptionalBool(attributes, "metric_required", At);
        RequestBody.OptionalString(attributes, "_thread", At);
        foreach (var list in new[] { "identifiers", "metrics", "windows" })
        {
            if (attributes[list] is { } node && node is not JsonArray)
            {
                throw ApiException.Body($"{At}/{list}", $"{list} must be an array");
            }
        }

        if (attributes["frequency_goal"]?["weeks"]?["days"] is JsonArray days)
        {
            for (var i = 0; i < days.Count; i++)
            {
                if (days[i] is not JsonValue v || !v.TryGetValue<int>(out var day) || day is < 0 or > 6)
                {
                    throw ApiException.Body($"{At}/frequency_goal/weeks/days/{i}", "days are 0 (Sunday) to 6");
                }
            }
        }
    }

    /// <summary>plan is kept as given; the bundles/actions links must name existing resources of the token's organization.</summary>
    private static JsonObject Relationships(OrgScope scope, JsonObject data, string linkName, string linkType)
    {
        var state = scope.State;
        var result = new JsonObject();
        if (data["relationships"] is not JsonObject relationships)
        {
            return result;
        }

        if (relationships["plan"]?["data"] is JsonObject plan)
        {
            result["plan"] = new JsonObject { ["data"] = plan.DeepClone() };
        }

        if (relationships[linkName]?["data"] is { } linkData)
        {
            var pointer = $"/data/relationships/{linkName}/data";
            var items = linkData as JsonArray ?? throw ApiException.Body(pointer, $"{linkName}.data must be an array");
            var ids = new List<string>();
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i] as JsonObject ?? throw ApiException.Body($"{pointer}/{i}", "must be a resource identifier");
                RequestBody.CheckType(item, linkType, $"{pointer}/{i}");
                var id = RequestBody.StringOrNull(item["id"]) ?? throw ApiException.Body($"{pointer}/{i}/id", "id is required");
                var linked = state.Store.Get(linkType, id) ?? throw ApiException.Body($"{pointer}/{i}/id", $"No {linkType} with id '{id}'");
                if (!scope.Owns(linked))
                {
                    throw OrgScope.Forbidden(linkType, id, $"{pointer}/{i}/id");
                }

                ids.Add(id);
            }

            result[linkName] = Common.ToMany(linkType, ids);
        }

        return result;
    }
}
