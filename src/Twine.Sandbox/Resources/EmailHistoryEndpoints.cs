using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>email_history: read-only, seeded.</summary>
internal static class EmailHistoryEndpoints
{
    private static readonly Dictionary<string, Func<JsonObject, IComparable?>> Sorts = new()
    {
        ["send_time"] = e => Dates.Read(e["attributes"]?["send_time"]),
    };

    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapGet("/email_history", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ["filter[receiver]", "filter[sender]", "filter[emailType]"], sort: true);
            var receiver = QueryFilters.Text(context, "filter[receiver]");
            var sender = QueryFilters.Text(context, "filter[sender]");
            if (receiver is null && sender is null)
            {
                throw Common.ScopeRequired("filter[receiver]", "filter[sender]");
            }

            var emailType = QueryFilters.Text(context, "filter[emailType]");
            var scope = OrgScope.Of(context, state);
            var emails = state.Store.Snapshot("email_history")
                .Where(e => receiver is null || Documents.RelatedId(e, "receiver") == receiver)
                .Where(e => sender is null || Documents.RelatedId(e, "sender") == sender)
                .Where(e => emailType is null || Documents.Attr(e, "email_type") == emailType)
                .Where(scope.Owns)
                .ToList();
            emails = QueryFilters.Sort(context, emails, Sorts);
            return Common.Ok(Paging.Page(context, emails, PagingRules.Unpaged));
        });

        pub.MapGet("/email_history/{id}", (string id, HttpContext context, SandboxState state) =>
            Common.Ok(Documents.Single(OrgScope.Of(context, state).Find("email_history", id))));
    }
}
