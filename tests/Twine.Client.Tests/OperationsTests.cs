using System.Net;
using Twine.Client.Auth;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Queries;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

/// <summary>Every one of the 37 operations against the sandbox over loopback HTTP.</summary>
public sealed class OperationsTests : IAsyncLifetime
{
    private TwineTestHost _host = null!;
    private ITwineClient Client => _host.Client;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _host = await TwineTestHost.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task CreateToken_returns_a_bearer_token_with_its_lifetime()
    {
        var token = await Client.CreateTokenAsync(new TwineCredentials(_host.Sandbox.ClientId, _host.Sandbox.ClientSecret), Ct);

        Assert.NotNull(token.Data?.Id);
        Assert.False(string.IsNullOrEmpty(token.Data.Attributes?.AccessToken));
        Assert.Equal("bearer", token.Data.Attributes!.TokenType);
        Assert.True(token.Data.Attributes.ExpiresIn > 0);
        Assert.Equal(Seed.Organization, token.Data.Relationships?.Organization?.Id);
    }

    [Fact]
    public async Task FetchTokenGroups_and_FetchTokenOrganization_follow_the_token()
    {
        var token = await Client.CreateTokenAsync(new TwineCredentials(_host.Sandbox.ClientId, _host.Sandbox.ClientSecret), Ct);

        var groups = await Client.FetchTokenGroupsAsync(token.Data!.Id!, Ct);
        var organization = await Client.FetchTokenOrganizationAsync(token.Data.Id!, Ct);

        Assert.Contains(groups.Data, g => g.Id == Seed.GroupPatientsLead);
        Assert.All(groups.Data, g => Assert.Equal("group", g.Type));
        Assert.Equal(Seed.Organization, organization.Data?.Id);
        Assert.False(string.IsNullOrEmpty(organization.Data?.Attributes?.Name));
    }

    [Fact]
    public async Task FetchOrganization_reads_name_and_req_id()
    {
        var organization = await Client.FetchOrganizationAsync(Seed.Organization, Ct);

        Assert.Equal("organization", organization.Data?.Type);
        Assert.False(string.IsNullOrEmpty(organization.Data?.Attributes?.Name));
        Assert.False(string.IsNullOrEmpty(organization.Meta?.ReqId));
    }

    [Fact]
    public async Task A_created_group_is_fetched_and_listed_by_name()
    {
        var created = await Client.CreateGroupAsync(new GroupResource { Attributes = new GroupAttributes { Name = "Client test group", Bio = "made by a test" } }, Ct);
        var fetched = await Client.FetchGroupAsync(created.Data!.Id!, Ct);
        var byName = await Client.FetchGroupsAsync(new GroupQuery { Organization = Seed.Organization, Name = "Client test group" }, Ct);
        var all = await Client.FetchGroupsAsync(new GroupQuery { Organization = Seed.Organization }, Ct);

        Assert.Equal("Client test group", fetched.Data?.Attributes?.Name);
        Assert.Equal("made by a test", fetched.Data?.Attributes?.Bio);
        Assert.Equal(created.Data.Id, Assert.Single(byName.Data).Id);
        Assert.Contains(all.Data, g => g.Id == Seed.GroupPatientsLead);
        Assert.True(all.Meta?.Count >= 3);
    }

    [Fact]
    public async Task FetchCoaches_lists_the_organizations_coaches()
    {
        var coaches = await Client.FetchCoachesAsync(new CoachQuery { Organization = Seed.Organization }, Ct);

        Assert.Contains(coaches.Data, c => c.Id == Seed.Coach);
        Assert.All(coaches.Data, c => Assert.Equal("coach", c.Type));
        Assert.False(coaches.HasNextPage);
    }

    [Fact]
    public async Task FetchCoach_reads_names()
    {
        var coach = await Client.FetchCoachAsync(Seed.Coach, Ct);

        Assert.Equal("coach", coach.Data?.Type);
        Assert.False(string.IsNullOrEmpty(coach.Data?.Attributes?.FirstName));
        Assert.False(string.IsNullOrEmpty(coach.Data?.Attributes?.LastName));
    }

    [Fact]
    public async Task A_created_action_is_updated_and_fetched_with_its_goal_and_plan()
    {
        var created = await Client.CreateActionAsync(new ActionResource
        {
            Attributes = new ActionAttributes
            {
                Type = "other_lifestyle",
                Title = "Stretch",
                EffectiveFrom = new DateTimeOffset(2025, 1, 6, 8, 0, 0, TimeSpan.Zero),
                FrequencyGoal = new ActionFrequencyGoal { Weeks = new ActionWeeks { Days = [1, 3, 5] } },
            },
            Relationships = new PlanItemRelationships { Plan = Relationship.ToOne(ResourceIdentifier.ById(ResourceTypes.Plan, Seed.Plan)) },
        }, Ct);
        var id = created.Data!.Id!;

        var updated = await Client.UpdateActionAsync(new ActionResource { Id = id, Attributes = new ActionAttributes { Title = "Stretch daily" } }, Ct);
        var fetched = await Client.FetchActionAsync(id, Ct);
        var seeded = await Client.FetchActionAsync(Seed.Action, Ct);

        Assert.Equal("Stretch daily", updated.Data?.Attributes?.Title);
        Assert.Equal("Stretch daily", fetched.Data?.Attributes?.Title);
        Assert.Equal([1, 3, 5], fetched.Data?.Attributes?.FrequencyGoal?.Weeks?.Days);
        Assert.Equal(Seed.Plan, fetched.Data?.Relationships?.Plan?.Id);
        Assert.Equal("lb", Assert.Single(seeded.Data!.Attributes!.Metrics!).Unit);
    }

    [Fact]
    public async Task A_created_bundle_is_updated_and_fetched_and_a_seeded_one_lists_its_actions()
    {
        var created = await Client.CreateBundleAsync(new BundleResource
        {
            Attributes = new BundleAttributes { Type = "weight", Title = "Weight plan", EffectiveFrom = new DateTimeOffset(2025, 1, 6, 8, 0, 0, TimeSpan.Zero) },
            Relationships = new PlanItemRelationships { Plan = Relationship.ToOne(ResourceIdentifier.ById(ResourceTypes.Plan, Seed.Plan)) },
        }, Ct);
        var id = created.Data!.Id!;

        var updated = await Client.UpdateBundleAsync(new BundleResource { Id = id, Attributes = new BundleAttributes { Title = "Weight plan v2" } }, Ct);
        var fetched = await Client.FetchBundleAsync(id, Ct);
        var seeded = await Client.FetchBundleAsync(Seed.Bundle, Ct);

        Assert.Equal("Weight plan v2", updated.Data?.Attributes?.Title);
        Assert.Equal("Weight plan v2", fetched.Data?.Attributes?.Title);
        Assert.Contains(Seed.Action, seeded.Data?.Relationships?.Actions?.Ids ?? []);
    }

    [Fact]
    public async Task A_calendar_event_is_created_completed_uncompleted_fetched_listed_and_deleted()
    {
        var created = await Client.CreateCalendarEventAsync(NewCheckIn(new DateTimeOffset(2025, 2, 3, 0, 0, 0, TimeSpan.Zero)), Ct);
        var id = created.Data!.Id!;
        Assert.Equal(Seed.Patient, created.Data.Relationships?.Owner?.Id);

        var completedAt = new DateTimeOffset(2025, 2, 3, 15, 0, 0, TimeSpan.Zero);
        var completed = await Client.UpdateCalendarEventAsync(new CalendarEventUpdateResource
        {
            Id = id,
            Attributes = new CalendarEventUpdateAttributes { Title = "Check-in (done)" }.MarkCompleted(completedAt, Seed.Coach),
        }, Ct);
        Assert.Equal(completedAt, completed.Data?.Attributes?.CompletedAt);
        Assert.Equal(Seed.Coach, completed.Data?.Attributes?.CompletedBy);

        var uncompleted = await Client.UpdateCalendarEventAsync(new CalendarEventUpdateResource
        {
            Id = id,
            Attributes = new CalendarEventUpdateAttributes().MarkNotCompleted(),
        }, Ct);
        Assert.Null(uncompleted.Data?.Attributes?.CompletedAt);
        Assert.Null(uncompleted.Data?.Attributes?.CompletedBy);
        Assert.Equal("Check-in (done)", uncompleted.Data?.Attributes?.Title);

        var fetched = await Client.FetchCalendarEventAsync(id, Ct);
        Assert.Equal(CalendarEventTypes.PlanCheckIn, fetched.Data?.Attributes?.Type);
        Assert.Equal(true, fetched.Data?.Attributes?.AllDay);

        var listed = await Client.FetchCalendarEventsAsync(new CalendarEventQuery
        {
            Patient = Seed.Patient,
            StartAt = new DateRange(new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero)),
            Include = ["owner"],
        }, Ct);
        Assert.Equal(id, Assert.Single(listed.Data).Id);
        Assert.Contains(listed.Included ?? [], r => r.Type == "patient" && r.Id == Seed.Patient);

        await Client.DeleteCalendarEventAsync(id, Ct);
        var gone = await Assert.ThrowsAsync<TwineApiException>(() => Client.FetchCalendarEventAsync(id, Ct));
        Assert.True(gone.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.Conflict, gone.Message);
        Assert.Equal(TwineErrorCodes.ResourceNotFound, gone.ErrorCode);
    }

    [Fact]
    public async Task Email_histories_are_listed_sorted_by_send_time_and_fetched_by_id()
    {
        var list = await Client.FetchEmailHistoriesAsync(new EmailHistoryQuery { Receiver = Seed.Patient, Sort = EmailHistoryQuery.SendTimeAscending }, Ct);
        var one = await Client.FetchEmailHistoryAsync(Seed.EmailHistory, Ct);

        Assert.True(list.Data.Count >= 2);
        Assert.All(list.Data, e => Assert.Equal(Seed.Patient, e.Relationships?.Receiver?.Id));
        var times = list.Data.Select(e => e.Attributes!.SendTime!.Value).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(Seed.EmailHistory, one.Data?.Id);
        Assert.NotNull(one.Data?.Attributes?.SendTime);
    }

    [Fact]
    public async Task Health_profiles_answers_questions_and_definitions_are_fetched_and_listed()
    {
        var profiles = await Client.FetchHealthProfilesAsync(new HealthProfileQuery { Patient = Seed.Patient, Include = ["questions"] }, Ct);
        var profile = await Client.FetchHealthProfileAsync(Seed.HealthProfile, ["patient"], Ct);
        var answers = await Client.FetchHealthProfileAnswersAsync(new HealthProfileAnswerQuery { Patient = Seed.Patient }, Ct);
        var answer = await Client.FetchHealthProfileAnswerAsync(Seed.HealthProfileAnswer, cancellationToken: Ct);
        var question = await Client.FetchHealthProfileQuestionAsync(Seed.HealthProfileQuestion, ["question_definition"], Ct);
        var definitions = await Client.FetchHealthQuestionDefinitionsAsync(cancellationToken: Ct);
        var definition = await Client.FetchHealthQuestionDefinitionAsync(Seed.HealthQuestionDefinition, Ct);

        Assert.Equal(Seed.HealthProfile, Assert.Single(profiles.Data).Id);
        Assert.NotEmpty(profile.Data?.Attributes?.Stats ?? []);
        Assert.Equal(Seed.Patient, profile.Data?.Relationships?.Patient?.Id);
        Assert.Contains(profile.Included ?? [], r => r.Type == "patient");
        Assert.Equal(3, answers.Data.Count);
        Assert.NotNull(answer.Data?.Attributes?.Latest?.Value);
        Assert.False(string.IsNullOrEmpty(question.Data?.Relationships?.QuestionDefinition?.Id));
        Assert.Equal(3, definitions.Data.Count);
        Assert.Equal("preventative_care", definition.Data?.Attributes?.Category);
        Assert.NotEmpty(definition.Data?.Attributes?.Format?.Data ?? []);
        Assert.False(string.IsNullOrEmpty(definition.Data?.Attributes?.Text));
    }

    [Fact]
    public async Task A_patient_created_in_a_group_by_name_is_updated_fetched_and_listed_by_identifier()
    {
        var created = await Client.CreatePatientAsync(new PatientResource
        {
            Attributes = new PatientAttributes
            {
                FirstName = "Jack",
                LastName = "Frost",
                BirthDate = new DateOnly(1960, 5, 4),
                Identifiers = [new PatientIdentifier { System = "client-tests", Value = "P-1" }],
            },
            Relationships = new PatientRelationships { Groups = Relationship.ToMany(ResourceIdentifier.GroupByName(Seed.Organization, "Patients Lead")) },
        }, cancellationToken: Ct);
        var id = created.Data!.Id!;
        Assert.Equal([Seed.GroupPatientsLead], created.Data.Relationships?.Groups?.Ids);

        var updated = await Client.UpdatePatientAsync(new PatientResource { Id = id, Attributes = new PatientAttributes { FirstName = "Jonathon" } }, Ct);
        var fetched = await Client.FetchPatientAsync(id, Ct);
        var byIdentifier = await Client.FetchPatientsAsync(new PatientQuery { Organization = Seed.Organization, IdentifierSystem = "client-tests", IdentifierValue = "P-1" }, Ct);

        Assert.Equal("Jonathon", updated.Data?.Attributes?.FirstName);
        Assert.Equal("Jonathon", fetched.Data?.Attributes?.FirstName);
        Assert.Equal("Frost", fetched.Data?.Attributes?.LastName);
        Assert.Equal(new DateOnly(1960, 5, 4), fetched.Data?.Attributes?.BirthDate);
        Assert.Equal(id, Assert.Single(byIdentifier.Data).Id);
    }

    [Fact]
    public async Task A_patients_coaches_and_groups_are_fetched()
    {
        var coaches = await Client.FetchPatientCoachesAsync(Seed.Patient, Ct);
        var groups = await Client.FetchPatientGroupsAsync(Seed.Patient, Ct);

        Assert.Equal(Seed.Coach, Assert.Single(coaches.Data).Id);
        Assert.Equal([Seed.GroupPatientsLead, Seed.GroupTeamHealth], groups.Data.Select(g => g.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_metric_created_for_a_patient_found_by_identifier_is_listed_for_that_patient()
    {
        var occurredAt = new DateTimeOffset(2025, 1, 5, 7, 30, 0, TimeSpan.Zero);
        var created = await Client.CreatePatientHealthMetricAsync(Weight(occurredAt, 180.2, byIdentifier: true), cancellationToken: Ct);

        Assert.Equal(Seed.Patient, created.Data?.Relationships?.Patient?.Id);
        Assert.Equal(180.2, created.Data?.Attributes?.Value?.GetValue<double>());

        var listed = await Client.FetchPatientHealthMetricsAsync(new PatientHealthMetricQuery { Patient = Seed.Patient, PageSize = 50 }, Ct);
        Assert.Contains(listed.Data, m => m.Id == created.Data!.Id && m.Attributes?.OccurredAt == occurredAt);
    }

    [Fact]
    public async Task Bulk_metrics_with_ignore_duplicates_report_what_was_ignored()
    {
        var at = new DateTimeOffset(2025, 1, 4, 7, 0, 0, TimeSpan.Zero);
        var first = await Client.CreatePatientHealthMetricAsync([Weight(at, 181), Weight(at.AddDays(1), 180)], ignoreDuplicates: true, Ct);
        var again = await Client.CreatePatientHealthMetricAsync([Weight(at, 181), Weight(at.AddDays(2), 179)], ignoreDuplicates: true, Ct);

        Assert.Equal(2, first.Data.Count);
        Assert.Null(first.Meta?.Ignored);
        Assert.Equal([first.Data[0].Id!], again.Meta?.Ignored);
        Assert.Contains(again.Data, m => m.Attributes?.OccurredAt == at.AddDays(2));
    }

    internal static CalendarEventResource NewCheckIn(DateTimeOffset day, string title = "Plan Check-In") => new()
    {
        Attributes = new CalendarEventAttributes
        {
            Type = CalendarEventTypes.PlanCheckIn,
            Title = title,
            TimeZone = "UTC",
            AllDay = true,
            StartAt = day,
            Attendees = [CalendarEventAttendee.For(Seed.Coach), CalendarEventAttendee.For(Seed.Patient)],
        },
        Relationships = new CalendarEventRelationships { Owner = Relationship.ToOne(ResourceIdentifier.Patient(Seed.Patient)) },
    };

    internal static PatientHealthMetricResource Weight(DateTimeOffset occurredAt, double value, bool byIdentifier = false) => new()
    {
        Attributes = new PatientHealthMetricAttributes { Type = "weight", Value = value, Unit = "lb", OccurredAt = occurredAt },
        Relationships = new PatientHealthMetricRelationships
        {
            Patient = Relationship.ToOne(byIdentifier
                ? ResourceIdentifier.PatientByIdentifier(Seed.PatientIdentifierSystem, Seed.PatientIdentifierValue, Seed.Organization)
                : ResourceIdentifier.Patient(Seed.Patient)),
        },
    };
}
