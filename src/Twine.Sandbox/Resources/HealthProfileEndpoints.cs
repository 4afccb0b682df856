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
            var profiles = ForPatients(context, state, "health_profile");
            return Common.Ok(Paging.Page(context, profiles, PagingRules.Standard, page => ProfileIncludes(state, page, include)));
        });

        pub.MapGet("/health_profile/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var include = Includes.Parse(context, "patient", "questions");
            var profile = Common.Find(state, "health_profile", id);
            return Common.Ok(Documents.Single(profile, ProfileIncludes(state, [profile], include)));
        });

        pub.MapGet("/health_profile_question/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var include = Includes.Parse(context, "question_definition", "answer");
            var question = Common.Find(state, "health_profile_question", id);
            var included = new JsonArray();
            if (include.Contains("question_definition"))
            {
                Common.Related(state, [question], "question_definition", "health_question_definition", included);
            }

            if (include.Contains("answer"))
            {
                Common.Related(state, [question], "answer", "health_profile_answer", included);
            }

            return Common.Ok(Documents.Single(question, included));
        });

        pub.MapGet("/health_profile_answer", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ScopeFilters, include: true);
            var include = Includes.Parse(context, "patient");
            var answers = ForPatients(context, state, "health_profile_answer");
            return Common.Ok(Paging.Page(context, answers, PagingRules.Answers,
                page => include.Contains("patient") ? Common.Related(state, page, "patient", "patient") : []));
        });

        pub.MapGet("/health_profile_answer/{id}", (string id, HttpContext context, SandboxState state) =>
        {
            var include = Includes.Parse(context, "patient");
            var answer = Common.Find(state, "health_profile_answer", id);
            return Common.Ok(Documents.Single(answer, include.Contains("patient") ? Common.Related(state, [answer], "patient", "patient") : []));
        });

        pub.MapGet("/health_question_definition", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, []);
            return Common.Ok(Paging.Page(context, state.Store.All("health_question_definition"), PagingRules.Unpaged));
        });

        pub.MapGet("/health_question_definition/{id}", (string id, SandboxState state) =>
            Common.Ok(Documents.Single(Common.Find(state, "health_question_definition", id))));
    }

    private static List<JsonObject> ForPatients(HttpContext context, SandboxState state, string type)
    {
        var scope = Common.PatientScope(context, state) ?? throw Common.ScopeRequired(ScopeFilters);
        return state.Store.All(type).Where(r => Documents.RelatedId(r, "patient") is { } p && scope.Contains(p)).ToList();
    }

    private static JsonArray ProfileIncludes(SandboxState state, IReadOnlyList<JsonObject> profiles, HashSet<string> include)
    {
        var included = new JsonArray();
        if (include.Contains("patient"))
        {
            Common.Related(state, profiles, "patient", "patient", included);
        }

        if (include.Contains("questions"))
        {
            Common.Related(state, profiles, "questions", "health_profile_question", included);
        }

        return included;
    }
}
