using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>health_profile, health_profile_question, health_profile_answer, health_question_definition: read-only, seeded.</summary>
internal static class HealthProfileEndpoints
{
    private static readonly string[] ScopeFilters = ["filter[patient]", "filter[groups]", "filter[organization]"];

    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapGet("/health_profile", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ScopeFilters, include: true);
            var include = Includes.Parse(context, "patient", "questions");
            var scope = OrgScope.Of(context, state);
            var profiles = ForPatients(context, scope, "health_profile");
            return Common.Ok(Paging.Page(context, profiles, PagingRules.Standard, page => ProfileIncludes(scope, page, include)));
        });

        pub.MapGet("/health_profile/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var include = Includes.Parse(context, "patient", "questions");
            var scope = OrgScope.Of(context, state);
            var profile = scope.Find("health_profile", id);
            return Common.Ok(Documents.Single(profile, ProfileIncludes(scope, [profile], include)));
        });

        pub.MapGet("/health_profile_question/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var include = Includes.Parse(context, "question_definition", "answer");
            var scope = OrgScope.Of(context, state);
            var question = scope.Find("health_profile_question", id);
            var included = new JsonArray();
            if (include.Contains("question_definition"))
            {
                Common.Related(scope, [question], "question_definition", "health_question_definition", included);
            }

            if (include.Contains("answer"))
            {
                Common.Related(scope, [question], "answer", "health_profile_answer", included);
            }

            return Common.Ok(Documents.Single(question, included));
        });

        pub.MapGet("/health_profile_answer", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ScopeFilters, include: true);
            var include = Includes.Parse(context, "patient");
            var scope = OrgScope.Of(context, state);
            var answers = ForPatients(context, scope, "health_profile_answer");
            return Common.Ok(Paging.Page(context, answers, PagingRules.Answers,
                page => include.Contains("patient") ? Common.Related(scope, page, "patient", "patient") : []));
        });

        pub.MapGet("/health_profile_answer/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var include = Includes.Parse(context, "patient");
            var scope = OrgScope.Of(context, state);
            var answer = scope.Find("health_profile_answer", id);
            return Common.Ok(Documents.Single(answer, include.Contains("patient") ? Common.Related(scope, [answer], "patient", "patient") : []));
        });

        pub.MapGet("/health_question_definition", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, []);
            return Common.Ok(Paging.Page(context, state.Store.Snapshot("health_question_definition"), PagingRules.Unpaged));
        });

        pub.MapGet("/health_question_definition/{id}", (string id, SandboxState state) =>
            Common.Ok(Documents.Single(Common.Find(state, "health_question_definition", id))));
    }

    private static List<JsonObject> ForPatients(HttpContext context, OrgScope scope, string type)
    {
        var patients = Common.PatientScope(context, scope) ?? throw Common.ScopeRequired(ScopeFilters);
        return scope.State.Store.Snapshot(type).Where(r => Documents.RelatedId(r, "patient") is { } p && patients.Contains(p)).ToList();
    }

    private static JsonArray ProfileIncludes(OrgScope scope, IReadOnlyList<JsonObject> profiles, HashSet<string> include)
    {
        var included = new JsonArray();
        if (include.Contains("patient"))
        {
            Common.Related(scope, profiles, "patient", "patient", included);
        }

        if (include.Contains("questions"))
        {
            Common.Related(scope, profiles, "questions", "health_profile_question", included);
        }

        return included;
    }
}
