using System.Net;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

/// <summary>
/// Credentials are scoped to their organization (the spec's overview; 403 is listed on every operation): over HTTP, with
/// one organization's token, another organization's data can be neither seen nor changed. The default credentials
/// belong to the first organization (A), the second pair to the second (B).
/// </summary>
public sealed class OrganizationScopeTests : SandboxHost
{
    // Seeded data of the first organization that B's token must not reach.
    private const string HealthProfileId = "59d441ac21741161bbe266b5";
    private const string HealthProfileQuestionId = "59d435931d078505ba744e88";
    private const string HealthProfileAnswerId = "5a4200000000000000000000";
    private const string EmailHistoryId = "595fddec28c5041b84467592";
    private const string ActionId = "59653f699fc8be3938f04491";
    private const string BundleId = "596535d9608f63d531b7e34a";
    private const string MetricId = "5a5000000000000000000001";

    private static string Metric(string patientReference, string occurredAt = "2025-05-01T07:00:00Z") =>
        F("""{"data":{"type":"patient_health_metric","attributes":{"type":"weight","occurred_at":"%occurredAt%","value":80,"unit":"kg"},"relationships":{"patient":{"data":%patientReference%}}}}""", ("occurredAt", occurredAt), ("patientReference", patientReference));

    private static string PatientIn(string groupReference) =>
        F("""{"data":{"type":"patient","attributes":{"first_name":"Scope"},"relationships":{"groups":{"data":[%groupReference%]}}}}""", ("groupReference", groupReference));

    private static string CallFor(string owner, string attendee) => new JsonObject
    {
        ["data"] = new JsonObject
        {
            ["type"] = "calendar_event",
            ["attributes"] = new JsonObject
            {
                ["type"] = "telephone-call",
                ["all_day"] = false,
                ["start_at"] = "2025-03-05T14:00:00Z",
                ["end_at"] = "2025-03-05T15:00:00Z",
                ["title"] = "Telephone Call",
                ["attendees"] = new JsonArray(new JsonObject { ["user"] = attendee }),
            },
            ["relationships"] = new JsonObject { ["owner"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = owner } } },
        },
    }.ToJsonString();

    /// <summary>Fills %name% placeholders (JSON bodies are full of braces).</summary>
    private static string F(string template, params (string Name, string Value)[] values) =>
        values.Aggregate(template, (text, v) => text.Replace($"%{v.Name}%", v.Value, StringComparison.Ordinal));

    private static void AssertForbidden(Reply reply, string? pointer = null) => reply.AssertError(HttpStatusCode.Forbidden, "Forbidden", pointer: pointer);

    [Fact]
    public async Task Each_pair_of_credentials_gets_a_token_of_its_own_organization_and_only_its_groups()
    {
        using var response = await Http.PostAsync("oauth/token?include=groups,organization",
            TokenBody(SandboxOptions.DefaultSecondClientId, SandboxOptions.DefaultSecondClientSecret), Ct);
        var body = await Read(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(SecondOrganizationId, (string?)body["data"]!["relationships"]!["organization"]!["data"]!["id"]);
        Assert.Equal([SecondOrgPatientsLeadGroupId],
            body["data"]!["relationships"]!["groups"]!["data"]!.AsArray().Select(g => (string)g!["id"]!).ToList());
        Assert.Equal(["group/" + SecondOrgPatientsLeadGroupId, "organization/" + SecondOrganizationId],
            body["included"]!.AsArray().Select(r => $"{(string?)r!["type"]}/{(string?)r["id"]}").ToList());

        Assert.Equal(SecondOrganizationId, Server.SecondOrganizationId);
        Assert.Equal(OrganizationId, Server.OrganizationId);
        Assert.Equal(SandboxOptions.DefaultSecondClientId, Server.SecondClientId);
    }

    [Fact]
    public async Task The_groups_and_organization_of_another_organizations_token_are_403()
    {
        using var response = await Http.PostAsync("oauth/token", TokenBody(SandboxOptions.DefaultSecondClientId, SandboxOptions.DefaultSecondClientSecret), Ct);
        var theirTokenId = (string)(await Read(response))["data"]!["id"]!;

        AssertForbidden(await Get($"oauth/token/{theirTokenId}/groups"));
        AssertForbidden(await Get($"oauth/token/{theirTokenId}/organization"));

        var theirToken = await SecondOrgTokenAsync();
        var groups = await Send(HttpMethod.Get, $"oauth/token/{theirTokenId}/groups", token: theirToken);
        Assert.Equal([SecondOrgPatientsLeadGroupId], groups.AssertOk().Ids);
        var organization = await Send(HttpMethod.Get, $"oauth/token/{theirTokenId}/organization", token: theirToken);
        Assert.Equal(SecondOrganizationId, (string?)organization.AssertOk().Data["id"]);
    }

    [Theory]
    [InlineData("organization/" + SecondOrganizationId)]
    [InlineData("group/" + SecondOrgPatientsLeadGroupId)]
    [InlineData("patient/" + SecondOrgPatientId)]
    [InlineData("patient/" + SecondOrgPatientId + "/groups")]
    [InlineData("patient/" + SecondOrgPatientId + "/coaches")]
    public async Task Reading_the_second_organizations_resources_with_the_first_organizations_token_is_403(string path)
    {
        AssertForbidden(await Get(path));
        (await Send(HttpMethod.Get, path, token: await SecondOrgTokenAsync())).AssertOk();
    }

    [Theory]
    [InlineData("organization/" + OrganizationId)]
    [InlineData("group/" + PatientsLeadGroupId)]
    [InlineData("coach/" + CoachId)]
    [InlineData("patient/" + PatientId)]
    [InlineData("patient/" + PatientId + "/groups")]
    [InlineData("patient/" + PatientId + "/coaches")]
    [InlineData("calendar_event/" + CalendarEventId)]
    [InlineData("calendar_event/" + CalendarEventId + "?include=owner")]
    [InlineData("email_history/" + EmailHistoryId)]
    [InlineData("health_profile/" + HealthProfileId + "?include=patient,questions")]
    [InlineData("health_profile_question/" + HealthProfileQuestionId + "?include=answer")]
    [InlineData("health_profile_answer/" + HealthProfileAnswerId + "?include=patient")]
    [InlineData("action/" + ActionId)]
    [InlineData("bundle/" + BundleId)]
    public async Task Reading_the_first_organizations_resources_with_the_second_organizations_token_is_403_without_data(string path)
    {
        var reply = await Send(HttpMethod.Get, path, token: await SecondOrgTokenAsync());
        AssertForbidden(reply);
        Assert.Null(reply.Body["data"]);
        (await Get(path)).AssertOk();
    }

    [Fact]
    public async Task Unknown_ids_stay_404_and_the_shared_question_catalogue_is_visible_to_both_organizations()
    {
        var theirToken = await SecondOrgTokenAsync();
        (await Send(HttpMethod.Get, "patient/000000000000000000000000", token: theirToken)).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Send(HttpMethod.Get, "health_question_definition/21", token: theirToken)).AssertOk();
        Assert.Equal(3, (await Send(HttpMethod.Get, "health_question_definition", token: theirToken)).AssertOk().DataArray.Count);
    }

    [Theory]
    [InlineData("group?filter[organization]=" + SecondOrganizationId)]
    [InlineData("patient?filter[organization]=" + SecondOrganizationId)]
    [InlineData("patient?filter[groups]=" + SecondOrgPatientsLeadGroupId)]
    [InlineData("patient?filter[organization]=" + SecondOrganizationId + "&filter[identifier][system]=medical-record-number&filter[identifier][value]=121212")]
    [InlineData("patient_health_metric?filter[patient]=" + SecondOrgPatientId)]
    [InlineData("calendar_event?filter[organization]=" + SecondOrganizationId)]
    [InlineData("health_profile?filter[groups]=" + SecondOrgPatientsLeadGroupId)]
    [InlineData("health_profile_answer?filter[patient]=" + SecondOrgPatientId)]
    public async Task Lists_filtered_to_the_second_organization_are_empty_for_the_first_organizations_token(string path)
    {
        // Give the second organization something in every list first, with its own token.
        var theirToken = await SecondOrgTokenAsync();
        (await Send(HttpMethod.Post, "patient_health_metric", Metric(F("""{"type":"patient","id":"%SecondOrgPatientId%"}""", ("SecondOrgPatientId", SecondOrgPatientId))), theirToken)).AssertOk();
        (await Send(HttpMethod.Post, "calendar_event", CallFor(SecondOrgPatientId, SecondOrgPatientId), theirToken)).AssertOk(HttpStatusCode.Created);

        var mine = await Get(path);
        mine.AssertOk();
        Assert.Empty(mine.DataArray);
        Assert.Equal(0, (int)mine.Body["meta"]!["count"]!);

        var path2 = path.Contains("health_profile", StringComparison.Ordinal) ? null : path;
        if (path2 is not null)
        {
            Assert.NotEmpty((await Send(HttpMethod.Get, path2, token: theirToken)).AssertOk().DataArray);
        }
    }

    [Theory]
    [InlineData("patient?filter[organization]=" + OrganizationId)]
    [InlineData("patient?filter[groups]=" + PatientsLeadGroupId + "," + TeamHealthGroupId)]
    [InlineData("patient_health_metric?filter[organization]=" + OrganizationId)]
    [InlineData("calendar_event?filter[organization]=" + OrganizationId + "&include=owner")]
    [InlineData("calendar_event?filter[attendees]=" + CoachId)]
    [InlineData("email_history?filter[sender]=" + CoachId)]
    [InlineData("email_history?filter[receiver]=" + PatientId)]
    [InlineData("health_profile?filter[organization]=" + OrganizationId + "&include=patient,questions")]
    [InlineData("health_profile_answer?filter[patient]=" + PatientId + "&include=patient")]
    [InlineData("group?filter[organization]=" + OrganizationId)]
    public async Task Lists_naming_the_first_organizations_data_return_none_of_it_to_the_second_organization(string path)
    {
        var reply = await Send(HttpMethod.Get, path, token: await SecondOrgTokenAsync());
        reply.AssertOk();
        Assert.Empty(reply.DataArray);
        Assert.Empty(reply.Body["included"]?.AsArray() ?? []);
        Assert.NotEmpty((await Get(path)).AssertOk().DataArray);
    }

    [Fact]
    public async Task A_metric_for_another_organizations_patient_by_id_or_meta_query_is_403_and_writes_nothing()
    {
        AssertForbidden(await Post("patient_health_metric", Metric(F("""{"type":"patient","id":"%SecondOrgPatientId%"}""", ("SecondOrgPatientId", SecondOrgPatientId)))),
            "/data/relationships/patient/data/id");
        AssertForbidden(await Post("patient_health_metric", Metric(
                F("""{"type":"patient","meta":{"query":{"identifier":{"system":"medical-record-number","value":"121212"},"organization":"%SecondOrganizationId%"}}}""", ("SecondOrganizationId", SecondOrganizationId)))),
            "/data/relationships/patient/data/meta/query/organization");
        AssertForbidden(await Post("patient_health_metric", Metric(
                F("""{"type":"patient","meta":{"query":{"identifier":{"system":"medical-record-number","value":"121212"},"groups":["%SecondOrgPatientsLeadGroupId%"]}}}""", ("SecondOrgPatientsLeadGroupId", SecondOrgPatientsLeadGroupId)))),
            "/data/relationships/patient/data/meta/query/groups/0");

        // One item of another organization in a bulk create writes nothing at all.
        var bulk = F("""
            {"data":[
              {"type":"patient_health_metric","attributes":{"type":"weight","occurred_at":"2025-05-02T07:00:00Z","value":81},"relationships":{"patient":{"data":{"type":"patient","id":"%PatientId%"}}}},
              {"type":"patient_health_metric","attributes":{"type":"weight","occurred_at":"2025-05-02T07:00:00Z","value":82},"relationships":{"patient":{"data":{"type":"patient","id":"%SecondOrgPatientId%"}}}}
            ],"meta":{"ignore_duplicates":true}}
            """, ("PatientId", PatientId), ("SecondOrgPatientId", SecondOrgPatientId));
        AssertForbidden(await Post("patient_health_metric", bulk), "/data/1/relationships/patient/data/id");

        var theirs = await Send(HttpMethod.Get, $"patient_health_metric?filter[patient]={SecondOrgPatientId}", token: await SecondOrgTokenAsync());
        Assert.Equal(0, (int)theirs.AssertOk().Body["meta"]!["count"]!);
        var ours = await Get($"patient_health_metric?filter[patient]={PatientId}&page[size]=50");
        Assert.DoesNotContain(ours.DataArray, m => (string?)m!["attributes"]!["occurred_at"] == "2025-05-02T07:00:00Z");
    }

    [Fact]
    public async Task A_metric_created_with_the_second_organizations_token_is_theirs_and_invisible_to_the_first()
    {
        var theirToken = await SecondOrgTokenAsync();
        var created = await Send(HttpMethod.Post, "patient_health_metric", Metric(
            """{"type":"patient","meta":{"query":{"identifier":{"system":"medical-record-number","value":"121212"}}}}"""), theirToken);
        created.AssertOk();
        Assert.Equal(SecondOrgPatientId, (string?)created.Data["relationships"]!["patient"]!["data"]!["id"]);
        var id = (string)created.Data["id"]!;

        Assert.Contains(id, (await Send(HttpMethod.Get, $"patient_health_metric?filter[organization]={SecondOrganizationId}", token: theirToken)).Ids);
        Assert.DoesNotContain(id, (await Get($"patient_health_metric?filter[organization]={SecondOrganizationId}")).Ids);
        Assert.DoesNotContain(MetricId, (await Send(HttpMethod.Get, $"patient_health_metric?filter[patient]={PatientId}", token: theirToken)).Ids);
    }

    [Theory]
    [InlineData("""{"type":"group","id":"58c88de7c93eb96357a87040"}""", "/data/relationships/groups/data/0/id")]
    [InlineData("""{"type":"group","meta":{"query":{"organization":"58c88de7c93eb96357a87033","name":"Patients Lead"}}}""", "/data/relationships/groups/data/0/meta/query/organization")]
    [InlineData("""{"type":"group","meta":{"query":{"organization":"58c88de7c93eb96357a87033","name":"A Brand New Group"}}}""", "/data/relationships/groups/data/0/meta/query/organization")]
    public async Task A_patient_in_another_organizations_group_is_403_and_creates_nothing(string groupReference, string pointer)
    {
        AssertForbidden(await Post("patient", PatientIn(groupReference)), pointer);

        var theirs = await Send(HttpMethod.Get, $"patient?filter[organization]={SecondOrganizationId}", token: await SecondOrgTokenAsync());
        Assert.Equal([SecondOrgPatientId], theirs.AssertOk().Ids);
        var theirGroups = await Send(HttpMethod.Get, $"group?filter[organization]={SecondOrganizationId}", token: await SecondOrgTokenAsync());
        Assert.Equal([SecondOrgPatientsLeadGroupId], theirGroups.Ids);
    }

    [Fact]
    public async Task A_patient_with_another_organizations_coach_is_403()
    {
        var body = F("""
            {"data":{"type":"patient","attributes":{"first_name":"Scope"},"relationships":{
              "groups":{"data":[{"type":"group","id":"%SecondOrgPatientsLeadGroupId%"}]},
              "coaches":{"data":[{"type":"coach","id":"%CoachId%"}]}}}}
            """, ("SecondOrgPatientsLeadGroupId", SecondOrgPatientsLeadGroupId), ("CoachId", CoachId));
        AssertForbidden(await Send(HttpMethod.Post, "patient", body, await SecondOrgTokenAsync()), "/data/relationships/coaches/data/0/id");
    }

    [Fact]
    public async Task A_group_in_another_organization_is_403_and_one_without_an_organization_joins_the_tokens()
    {
        var body = F("""{"data":{"type":"group","attributes":{"name":"Elsewhere"},"relationships":{"organization":{"data":{"type":"organization","id":"%SecondOrganizationId%"}}}}}""", ("SecondOrganizationId", SecondOrganizationId));
        AssertForbidden(await Post("group", body), "/data/relationships/organization/data/id");

        var created = await Send(HttpMethod.Post, "group", """{"data":{"type":"group","attributes":{"name":"Theirs"}}}""", await SecondOrgTokenAsync());
        created.AssertOk(HttpStatusCode.Created);
        Assert.Equal(SecondOrganizationId, (string?)created.Data["relationships"]!["organization"]!["data"]!["id"]);
        AssertForbidden(await Get($"group/{(string)created.Data["id"]!}"));
    }

    [Fact]
    public async Task Updating_another_organizations_patient_or_moving_a_patient_into_its_group_is_403()
    {
        AssertForbidden(await Patch($"patient/{SecondOrgPatientId}", Update("patient", SecondOrgPatientId, """{"first_name":"Changed"}""")));
        var theirs = await Send(HttpMethod.Get, $"patient/{SecondOrgPatientId}", token: await SecondOrgTokenAsync());
        Assert.NotEqual("Changed", (string?)theirs.AssertOk().Data["attributes"]!["first_name"]);

        var move = F("""{"data":{"type":"patient","id":"%PatientId%","relationships":{"groups":{"data":[{"type":"group","id":"%SecondOrgPatientsLeadGroupId%"}]}}}}""", ("PatientId", PatientId), ("SecondOrgPatientsLeadGroupId", SecondOrgPatientsLeadGroupId));
        AssertForbidden(await Patch($"patient/{PatientId}", move), "/data/relationships/groups/data/0/id");
        var mine = await Get($"patient/{PatientId}/groups");
        Assert.Equal([PatientsLeadGroupId, TeamHealthGroupId], mine.Ids);
    }

    [Fact]
    public async Task A_calendar_event_for_with_or_completed_by_another_organizations_people_is_403()
    {
        AssertForbidden(await Post("calendar_event", CallFor(SecondOrgPatientId, CoachId)), "/data/relationships/owner/data/id");
        AssertForbidden(await Post("calendar_event", CallFor(PatientId, SecondOrgPatientId)), "/data/attributes/attendees/0/user");

        var theirToken = await SecondOrgTokenAsync();
        AssertForbidden(await Send(HttpMethod.Post, "calendar_event", CallFor(SecondOrgPatientId, CoachId), theirToken), "/data/attributes/attendees/0/user");

        // Completed by another organization's coach.
        var completed = JsonNode.Parse(CallFor(SecondOrgPatientId, SecondOrgPatientId))!;
        completed["data"]!["attributes"]!["completed_by"] = CoachId;
        completed["data"]!["attributes"]!["completed_at"] = "2025-03-05T15:00:00Z";
        AssertForbidden(await Send(HttpMethod.Post, "calendar_event", completed.ToJsonString(), theirToken), "/data/attributes/completed_by");

        // Moving an event of one's own to another organization's patient.
        var created = await Send(HttpMethod.Post, "calendar_event", CallFor(SecondOrgPatientId, SecondOrgPatientId), theirToken);
        var id = (string)created.AssertOk(HttpStatusCode.Created).Data["id"]!;
        var move = F("""{"data":{"type":"calendar_event","id":"%id%","relationships":{"owner":{"data":{"type":"patient","id":"%PatientId%"}}}}}""", ("id", id), ("PatientId", PatientId));
        AssertForbidden(await Send(HttpMethod.Patch, $"calendar_event/{id}", move, theirToken), "/data/relationships/owner/data/id");
    }

    [Fact]
    public async Task Updating_or_deleting_another_organizations_calendar_event_is_403_and_changes_nothing()
    {
        var theirToken = await SecondOrgTokenAsync();
        AssertForbidden(await Send(HttpMethod.Patch, $"calendar_event/{CalendarEventId}",
            Update("calendar_event", CalendarEventId, """{"title":"Hijacked"}"""), theirToken));
        AssertForbidden(await Send(HttpMethod.Delete, $"calendar_event/{CalendarEventId}", token: theirToken));

        var mine = await Get($"calendar_event/{CalendarEventId}");
        Assert.Equal("Plan Check-In", (string?)mine.AssertOk().Data["attributes"]!["title"]);
    }

    [Fact]
    public async Task Another_organizations_actions_and_bundles_can_be_neither_updated_nor_linked()
    {
        var theirToken = await SecondOrgTokenAsync();
        AssertForbidden(await Send(HttpMethod.Patch, $"action/{ActionId}", Update("action", ActionId, """{"title":"Hijacked"}"""), theirToken));
        AssertForbidden(await Send(HttpMethod.Patch, $"bundle/{BundleId}", Update("bundle", BundleId, """{"title":"Hijacked"}"""), theirToken));
        Assert.NotEqual("Hijacked", (string?)(await Get($"action/{ActionId}")).AssertOk().Data["attributes"]!["title"]);

        var bundle = F("""
            {"data":{"type":"bundle","attributes":{"type":"other_lifestyle","title":"Theirs","effective_from":"2025-01-01T00:00:00Z"},
             "relationships":{"actions":{"data":[{"type":"action","id":"%ActionId%"}]}}}}
            """, ("ActionId", ActionId));
        AssertForbidden(await Send(HttpMethod.Post, "bundle", bundle, theirToken), "/data/relationships/actions/data/0/id");

        // Their own bundle is theirs alone.
        var own = await Send(HttpMethod.Post, "bundle", bundle.Replace(F("""{"type":"action","id":"%ActionId%"}""", ("ActionId", ActionId)), "", StringComparison.Ordinal), theirToken);
        var ownId = (string)own.AssertOk().Data["id"]!;
        Assert.Null(own.Data["_organization"]);
        AssertForbidden(await Get($"bundle/{ownId}"));
        (await Send(HttpMethod.Get, $"bundle/{ownId}", token: theirToken)).AssertOk();
    }
}
