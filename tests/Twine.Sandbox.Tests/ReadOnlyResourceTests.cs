using System.Net;

namespace Twine.Sandbox.Tests;

/// <summary>organization, group, coach, email history, health profile family (seeded, read-only here).</summary>
public sealed class ReadOnlyResourceTests : SandboxHost
{
    [Fact]
    public async Task An_organization_is_fetched_by_id_and_an_unknown_id_is_404()
    {
        var reply = await Get($"organization/{OrganizationId}");
        reply.AssertOk();
        Assert.Equal("organization", (string?)reply.Data["type"]);
        Assert.Equal($"/pub/organization/{OrganizationId}", (string?)reply.Data["links"]!["self"]);
        (await Get("organization/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Groups_are_listed_only_by_organization_optionally_by_name_and_fetched_by_id()
    {
        var reply = await Get($"group?filter[organization]={OrganizationId}");
        reply.AssertOk();
        Assert.Equal([PatientsLeadGroupId, TeamHealthGroupId], reply.Ids);

        // Another organization's groups are listed only with that organization's credentials.
        var named = await Send(HttpMethod.Get, $"group?filter[organization]={SecondOrganizationId}&filter[name]=Patients%20Lead", token: await SecondOrgTokenAsync());
        Assert.Equal([SecondOrgPatientsLeadGroupId], named.Ids);

        (await Get("group")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[organization]");
        (await Get($"group/{PatientsLeadGroupId}")).AssertOk();
        (await Get("group/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Coaches_are_listed_by_organization_or_groups_and_a_list_needs_one_of_the_two()
    {
        var all = await Get($"coach?filter[organization]={OrganizationId}");
        all.AssertOk();
        Assert.Equal([CoachId, "581630c3237d84a9403533c6"], all.Ids);
        Assert.Equal([CoachId], (await Get($"coach?filter[groups]={PatientsLeadGroupId}")).Ids);
        Assert.Equal([CoachId, "581630c3237d84a9403533c6"], (await Get($"coach?filter[groups]={PatientsLeadGroupId},{TeamHealthGroupId}")).Ids);
        Assert.Empty((await Get($"coach?filter[organization]={SecondOrganizationId}")).Ids); // another organization's: an empty list
        (await Get("coach")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[groups]");
        (await Get($"coach?filter[organization]={OrganizationId}&filter[name]=x")).AssertError(HttpStatusCode.Conflict, "InvalidParameter");
    }

    [Fact]
    public async Task A_coach_is_fetched_by_id_with_its_names_and_an_unknown_id_is_404()
    {
        var reply = await Get($"coach/{CoachId}");
        reply.AssertOk();
        Assert.Equal("coach", (string?)reply.Data["type"]);
        Assert.Equal("Cora", (string?)reply.Data["attributes"]!["first_name"]);
        (await Get("coach/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Email_histories_are_listed_by_receiver_or_sender_sorted_on_send_time_and_fetched_by_id()
    {
        (await Get("email_history")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[receiver]");

        var received = await Get($"email_history?filter[receiver]={PatientId}");
        Assert.Equal(["595fddec28c5041b84467592", "5a3000000000000000000001"], received.Ids);

        var invites = await Get($"email_history?filter[sender]={CoachId}&filter[emailType]=invite");
        Assert.Equal(["595fddec28c5041b84467592"], invites.Ids);

        var ascending = await Get($"email_history?filter[sender]={CoachId}&sort=send_time");
        Assert.Equal(["595fddec28c5041b84467592", "5a3000000000000000000001", "5a3000000000000000000003"], ascending.Ids);
        var descending = await Get($"email_history?filter[sender]={CoachId}&sort=-send_time");
        Assert.Equal(ascending.Ids.AsEnumerable().Reverse().ToList(), descending.Ids);

        (await Get($"email_history?filter[sender]={CoachId}&sort=email_type")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "sort");

        var one = await Get("email_history/595fddec28c5041b84467592");
        one.AssertOk();
        Assert.Equal("2024-02-25T13:35:03.000Z", (string?)one.Data["attributes"]!["status_times"]!["delivered"]);
        (await Get("email_history/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Health_profiles_are_listed_by_patient_or_groups_and_include_their_patient_and_questions()
    {
        (await Get("health_profile")).AssertError(HttpStatusCode.Conflict, "InvalidParameter");
        var mine = await Get($"health_profile?filter[patient]={PatientId}&include=patient,questions");
        mine.AssertOk();
        Assert.Equal(["59d441ac21741161bbe266b5"], mine.Ids);
        var includedTypes = mine.Body["included"]!.AsArray().Select(r => (string?)r!["type"]).ToList();
        Assert.Equal(1, includedTypes.Count(t => t == "patient"));
        Assert.Equal(3, includedTypes.Count(t => t == "health_profile_question"));

        var team = await Get($"health_profile?filter[groups]={TeamHealthGroupId}");
        Assert.Equal(["59d441ac21741161bbe266b5", "5a4000000000000000000002"], team.Ids);

        var one = await Get("health_profile/59d441ac21741161bbe266b5?include=questions");
        one.AssertOk();
        Assert.Equal(3, one.Body["included"]!.AsArray().Count);
        (await Get("health_profile/59d441ac21741161bbe266b5?include=answers")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "include");
        (await Get("health_profile/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Health_profile_questions_answers_and_question_definitions_are_fetched_and_listed_with_their_includes()
    {
        var question = await Get("health_profile_question/59d435931d078505ba744e88?include=question_definition,answer");
        question.AssertOk();
        Assert.Equal(["health_question_definition", "health_profile_answer"], question.Body["included"]!.AsArray().Select(r => (string?)r!["type"]).ToList());

        var answers = await Get($"health_profile_answer?filter[patient]={PatientId}&include=patient");
        Assert.Equal(3, answers.DataArray.Count);
        Assert.Single(answers.Body["included"]!.AsArray());
        var answer = await Get($"health_profile_answer/{answers.Ids[0]}");
        Assert.Equal("4", (string?)answer.Data["attributes"]!["question_id"]);
        (await Get("health_profile_answer/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");

        var definitions = await Get("health_question_definition");
        Assert.Equal(["4", "7", "21"], definitions.Ids);
        var colonoscopy = await Get("health_question_definition/21");
        Assert.Equal("preventative_care", (string?)colonoscopy.Data["attributes"]!["category"]);
        (await Get("health_question_definition/999")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }
}
