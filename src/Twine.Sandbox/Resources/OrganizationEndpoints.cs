using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>organization, group and coach.</summary>
internal static class OrganizationEndpoints
{
    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapGet("/organization/{id}", (string id, HttpContext context, SandboxState state) =>
            Common.Ok(Documents.Single(OrgScope.Of(context, state).Find("organization", id))));

        pub.MapGet("/group", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ["filter[organization]", "filter[name]"]);
            var scope = OrgScope.Of(context, state);
            var organization = QueryFilters.Text(context, "filter[organization]") ?? throw Common.ScopeRequired("filter[organization]");
            var name = QueryFilters.Text(context, "filter[name]");
            var groups = scope.Visible(state.Store.Snapshot("group")
                .Where(g => Documents.RelatedId(g, "organization") == organization)
                .Where(g => name is null || Documents.Attr(g, "name") == name));
            return Common.Ok(Paging.Page(context, groups, PagingRules.Unpaged));
        });

        pub.MapPost("/group", async (HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            var data = RequestBody.Data(await RequestBody.ReadJsonApiAsync(context), "group");
            var attributes = RequestBody.Attributes(data);
            const string at = "/data/attributes";
            var name = RequestBody.RequiredString(attributes, "name", at);
            var bio = RequestBody.OptionalString(attributes, "bio", at);
            // The spec's request has no organization: the group joins the token's organization. A
            // relationships.organization naming another (existing) organization is 403.
            const string organizationPointer = "/data/relationships/organization/data/id";
            var organization = Documents.RelatedId(data, "organization") ?? scope.OrganizationId;
            if (!state.Store.Exists("organization", organization))
            {
                throw ApiException.Body(organizationPointer, $"No organization with id '{organization}'");
            }

            if (organization != scope.OrganizationId)
            {
                throw scope.ForbiddenOrganization(organization, organizationPointer);
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

        pub.MapGet("/group/{id}", (string id, HttpContext context, SandboxState state) =>
            Common.Ok(Documents.Single(OrgScope.Of(context, state).Find("group", id))));

        // fetchCoaches (swagger.yaml /coach): filter[groups] (comma-separated group ids) or filter[organization] is
        // required; both given: coaches matching both. No paging is documented: the whole list, in insertion order.
        pub.MapGet("/coach", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ["filter[groups]", "filter[organization]"]);
            var scope = OrgScope.Of(context, state);
            var organization = QueryFilters.Text(context, "filter[organization]");
            var groups = QueryFilters.Ids(context, "filter[groups]");
            if (organization is null && groups is null)
            {
                throw Common.ScopeRequired("filter[groups]", "filter[organization]");
            }

            var coaches = scope.Visible(state.Store.Snapshot("coach")
                .Where(c => organization is null || Documents.RelatedId(c, "organization") == organization)
                .Where(c => groups is null || Documents.RelatedIds(c, "groups").Any(groups.Contains)));
            return Common.Ok(Paging.Page(context, coaches, PagingRules.Unpaged));
        });

        pub.MapGet("/coach/{id}", (string id, HttpContext context, SandboxState state) =>
            Common.Ok(Documents.Single(OrgScope.Of(context, state).Find("coach", id), new JsonArray())));
    }
}
