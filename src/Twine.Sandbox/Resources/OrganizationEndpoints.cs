using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>organization, group and coach.</summary>
internal static class OrganizationEndpoints
{
    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapGet("/organization/{id}", (string id, SandboxState state) =>
            Common.Ok(Documents.Single(Common.Find(state, "organization", id))));

        pub.MapGet("/group", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ["filter[organization]", "filter[name]"]);
            var organization = QueryFilters.Text(context, "filter[organization]") ?? throw Common.ScopeRequired("filter[organization]");
            var name = QueryFilters.Text(context, "filter[name]");
            var groups = state.Store.All("group")
                .Where(g => Documents.RelatedId(g, "organization") == organization)
                .Where(g => name is null || Documents.Attr(g, "name") == name)
                .ToList();
            return Common.Ok(Paging.Page(context, groups, PagingRules.Unpaged));
        });

        pub.MapPost("/group", async (HttpContext context, SandboxState state) =>
        {
            var data = RequestBody.Data(await RequestBody.ReadJsonApiAsync(context), "group");
            var attributes = RequestBody.Attributes(data);
            const string at = "/data/attributes";
            var name = RequestBody.RequiredString(attributes, "name", at);
            var bio = RequestBody.OptionalString(attributes, "bio", at);
            // The spec's request has no organization: the group joins the token's organization,
            // unless relationships.organization names another one.
            var organization = Documents.RelatedId(data, "organization") ?? (string)Auth.TokenEndpoints.Organization(state)["id"]!;
            if (!state.Store.Exists("organization", organization))
            {
                throw ApiException.Body("/data/relationships/organization/data/id", $"No organization with id '{organization}'");
            }

            var stored = new JsonObject { ["name"] = name };
            if (bio is not null)
            {
                stored["bio"] = bio;
            }

            var group = Common.NewResource("group", stored, new JsonObject { ["organization"] = Common.ToOne("organization", organization) }, state.Now());
            state.Store.Add(group);
            return Common.Created(Documents.Single(group));
        });

        pub.MapGet("/group/{id}", (string id, SandboxState state) =>
            Common.Ok(Documents.Single(Common.Find(state, "group", id))));

        pub.MapGet("/coach/{id}", (string id, SandboxState state) =>
            Common.Ok(Documents.Single(Common.Find(state, "coach", id), new JsonArray())));
    }
}
