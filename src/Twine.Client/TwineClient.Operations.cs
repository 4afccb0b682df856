using Twine.Client.Auth;
using Twine.Client.Models;
using Twine.Client.Queries;
using Twine.Client.Serialization;

namespace Twine.Client;

// One method per operationId. "retryable" says whether repeating the request could create a duplicate:
// GETs and PATCHes (they set absolute values) are retried; creates only where Twine skips duplicates.
// PATCH bodies hold only writable attributes and relationship data (UpdateDocuments), never what Twine wrote.
public sealed partial class TwineClient
{
    private static TwineJsonContext Json => TwineJsonContext.Default;

    // OAuth and organisation

    public Task<TwineResponse<TokenResource>> CreateTokenAsync(TwineCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return TwineTokenProvider.RequestTokenAsync(_http, credentials, _logger, _time, cancellationToken);
    }

    public Task<TwinePage<GroupResource>> FetchTokenGroupsAsync(string tokenId, CancellationToken cancellationToken = default) =>
        GetAsync("fetchTokenGroups", Path("oauth/token", tokenId, "groups"), Json.TwinePageGroupResource, cancellationToken);

    public Task<TwineResponse<OrganizationResource>> FetchTokenOrganizationAsync(string tokenId, CancellationToken cancellationToken = default) =>
        GetAsync("fetchTokenOrganization", Path("oauth/token", tokenId, "organization"), Json.TwineResponseOrganizationResource, cancellationToken);

    public Task<TwineResponse<OrganizationResource>> FetchOrganizationAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchOrganization", Path("organization", id), Json.TwineResponseOrganizationResource, cancellationToken);

    // Groups and coaches

    public Task<TwinePage<GroupResource>> FetchGroupsAsync(GroupQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchGroups", "group" + Q(query), Json.TwinePageGroupResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<GroupResource>> FetchGroupsPagesAsync(GroupQuery query, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchGroups", "group" + Q(query), Json.TwinePageGroupResource, cancellationToken);

    public Task<TwineResponse<GroupResource>> CreateGroupAsync(GroupResource group, CancellationToken cancellationToken = default) =>
        SendAsync("createGroup", HttpMethod.Post, "group", Body(group), Json.TwineRequestGroupResource, retryable: false, Json.TwineResponseGroupResource, cancellationToken);

    public Task<TwineResponse<GroupResource>> FetchGroupAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchGroup", Path("group", id), Json.TwineResponseGroupResource, cancellationToken);

    public Task<TwineResponse<CoachResource>> FetchCoachAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchCoach", Path("coach", id), Json.TwineResponseCoachResource, cancellationToken);

    public Task<TwinePage<CoachResource>> FetchCoachesAsync(CoachQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchCoaches", "coach" + Q(query), Json.TwinePageCoachResource, cancellationToken);

    // Plan: actions and bundles

    public Task<TwineResponse<ActionResource>> CreateActionAsync(ActionResource action, CancellationToken cancellationToken = default) =>
        SendAsync("createAction", HttpMethod.Post, "action", Body(action), Json.TwineRequestActionResource, retryable: false, Json.TwineResponseActionResource, cancellationToken);

    public Task<TwineResponse<ActionResource>> FetchActionAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchAction", Path("action", id), Json.TwineResponseActionResource, cancellationToken);

    public Task<TwineResponse<ActionResource>> UpdateActionAsync(ActionResource action, CancellationToken cancellationToken = default) =>
        SendAsync("updateAction", HttpMethod.Patch, Path("action", RequireId(action)), UpdateDocuments.For(action, Json.ActionResource, UpdateDocuments.ActionAttributes), Json.JsonObject, retryable: true, Json.TwineResponseActionResource, cancellationToken);

    public Task<TwineResponse<BundleResource>> CreateBundleAsync(BundleResource bundle, CancellationToken cancellationToken = default) =>
        SendAsync("createBundle", HttpMethod.Post, "bundle", Body(bundle), Json.TwineRequestBundleResource, retryable: false, Json.TwineResponseBundleResource, cancellationToken);

    public Task<TwineResponse<BundleResource>> FetchBundleAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchBundle", Path("bundle", id), Json.TwineResponseBundleResource, cancellationToken);

    public Task<TwineResponse<BundleResource>> UpdateBundleAsync(BundleResource bundle, CancellationToken cancellationToken = default) =>
        SendAsync("updateBundle", HttpMethod.Patch, Path("bundle", RequireId(bundle)), UpdateDocuments.For(bundle, Json.BundleResource, UpdateDocuments.BundleAttributes), Json.JsonObject, retryable: true, Json.TwineResponseBundleResource, cancellationToken);

    // Calendar events

    public Task<TwinePage<CalendarEventResource>> FetchCalendarEventsAsync(CalendarEventQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchCalendarEvents", "calendar_event" + Q(query), Json.TwinePageCalendarEventResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<CalendarEventResource>> FetchCalendarEventsPagesAsync(CalendarEventQuery query, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchCalendarEvents", "calendar_event" + Q(query), Json.TwinePageCalendarEventResource, cancellationToken);

    public Task<TwineResponse<CalendarEventResource>> CreateCalendarEventAsync(CalendarEventResource calendarEvent, CancellationToken cancellationToken = default) =>
        SendAsync("createCalendarEvent", HttpMethod.Post, "calendar_event", Body(calendarEvent), Json.TwineRequestCalendarEventResource, retryable: false, Json.TwineResponseCalendarEventResource, cancellationToken);

    public Task<TwineResponse<CalendarEventResource>> FetchCalendarEventAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchCalendarEvent", Path("calendar_event", id), Json.TwineResponseCalendarEventResource, cancellationToken);

    public Task<TwineResponse<CalendarEventResource>> UpdateCalendarEventAsync(CalendarEventUpdateResource update, CancellationToken cancellationToken = default) =>
        SendAsync("updateCalendarEvent", HttpMethod.Patch, Path("calendar_event", RequireId(update)), UpdateDocuments.For(update, Json.CalendarEventUpdateResource, UpdateDocuments.CalendarEventAttributes), Json.JsonObject, retryable: true, Json.TwineResponseCalendarEventResource, cancellationToken);

    public Task DeleteCalendarEventAsync(string id, CancellationToken cancellationToken = default) =>
        SendWithoutResultAsync("deleteCalendarEvent", HttpMethod.Delete, Path("calendar_event", id), retryable: false, cancellationToken);

    // Email history

    public Task<TwinePage<EmailHistoryResource>> FetchEmailHistoriesAsync(EmailHistoryQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchEmailHistories", "email_history" + Q(query), Json.TwinePageEmailHistoryResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<EmailHistoryResource>> FetchEmailHistoriesPagesAsync(EmailHistoryQuery query, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchEmailHistories", "email_history" + Q(query), Json.TwinePageEmailHistoryResource, cancellationToken);

    public Task<TwineResponse<EmailHistoryResource>> FetchEmailHistoryAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchEmailHistory", Path("email_history", id), Json.TwineResponseEmailHistoryResource, cancellationToken);

    // Health profiles

    public Task<TwinePage<HealthProfileResource>> FetchHealthProfilesAsync(HealthProfileQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchHealthProfiles", "health_profile" + Q(query), Json.TwinePageHealthProfileResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<HealthProfileResource>> FetchHealthProfilesPagesAsync(HealthProfileQuery query, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchHealthProfiles", "health_profile" + Q(query), Json.TwinePageHealthProfileResource, cancellationToken);

    public Task<TwineResponse<HealthProfileResource>> FetchHealthProfileAsync(string id, IReadOnlyCollection<string>? include = null, CancellationToken cancellationToken = default) =>
        GetAsync("fetchHealthProfile", WithInclude(Path("health_profile", id), include), Json.TwineResponseHealthProfileResource, cancellationToken);

    public Task<TwinePage<HealthProfileAnswerResource>> FetchHealthProfileAnswersAsync(HealthProfileAnswerQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchHealthProfileAnswers", "health_profile_answer" + Q(query), Json.TwinePageHealthProfileAnswerResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<HealthProfileAnswerResource>> FetchHealthProfileAnswersPagesAsync(HealthProfileAnswerQuery query, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchHealthProfileAnswers", "health_profile_answer" + Q(query), Json.TwinePageHealthProfileAnswerResource, cancellationToken);

    public Task<TwineResponse<HealthProfileAnswerResource>> FetchHealthProfileAnswerAsync(string id, IReadOnlyCollection<string>? include = null, CancellationToken cancellationToken = default) =>
        GetAsync("fetchHealthProfileAnswer", WithInclude(Path("health_profile_answer", id), include), Json.TwineResponseHealthProfileAnswerResource, cancellationToken);

    public Task<TwineResponse<HealthProfileQuestionResource>> FetchHealthProfileQuestionAsync(string id, IReadOnlyCollection<string>? include = null, CancellationToken cancellationToken = default) =>
        GetAsync("fetchHealthProfileQuestion", WithInclude(Path("health_profile_question", id), include), Json.TwineResponseHealthProfileQuestionResource, cancellationToken);

    public Task<TwinePage<HealthQuestionDefinitionResource>> FetchHealthQuestionDefinitionsAsync(HealthQuestionDefinitionQuery? query = null, CancellationToken cancellationToken = default) =>
        GetAsync("fetchHealthQuestionDefinitions", "health_question_definition" + Q(query ?? new()), Json.TwinePageHealthQuestionDefinitionResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<HealthQuestionDefinitionResource>> FetchHealthQuestionDefinitionsPagesAsync(HealthQuestionDefinitionQuery? query = null, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchHealthQuestionDefinitions", "health_question_definition" + Q(query ?? new()), Json.TwinePageHealthQuestionDefinitionResource, cancellationToken);

    public Task<TwineResponse<HealthQuestionDefinitionResource>> FetchHealthQuestionDefinitionAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchHealthQuestionDefinition", Path("health_question_definition", id), Json.TwineResponseHealthQuestionDefinitionResource, cancellationToken);

    // Patients

    public Task<TwinePage<PatientResource>> FetchPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchPatients", "patient" + Q(query), Json.TwinePagePatientResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<PatientResource>> FetchPatientsPagesAsync(PatientQuery query, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchPatients", "patient" + Q(query), Json.TwinePagePatientResource, cancellationToken);

    public Task<TwineResponse<PatientResource>> CreatePatientAsync(PatientResource patient, bool ignoreDuplicates = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patient);

        // Twine recognises a repeated patient only by its identifiers.
        var retryable = ignoreDuplicates && patient.Attributes?.Identifiers is { Count: > 0 };
        var body = new TwineRequest<PatientResource> { Data = patient, Meta = ignoreDuplicates ? new RequestMeta { IgnoreDuplicates = true } : null };
        return SendAsync("createPatient", HttpMethod.Post, "patient", body, Json.TwineRequestPatientResource, retryable, Json.TwineResponsePatientResource, cancellationToken);
    }

    public Task<TwineResponse<PatientResource>> FetchPatientAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync("fetchPatient", Path("patient", id), Json.TwineResponsePatientResource, cancellationToken);

    public Task<TwineResponse<PatientResource>> UpdatePatientAsync(PatientResource patient, CancellationToken cancellationToken = default) =>
        SendAsync("updatePatient", HttpMethod.Patch, Path("patient", RequireId(patient)), UpdateDocuments.For(patient, Json.PatientResource, UpdateDocuments.PatientAttributes), Json.JsonObject, retryable: true, Json.TwineResponsePatientResource, cancellationToken);

    public Task<TwinePage<CoachResource>> FetchPatientCoachesAsync(string patientId, CancellationToken cancellationToken = default) =>
        GetAsync("fetchPatientCoaches", Path("patient", patientId, "coaches"), Json.TwinePageCoachResource, cancellationToken);

    public Task<TwinePage<GroupResource>> FetchPatientGroupsAsync(string patientId, CancellationToken cancellationToken = default) =>
        GetAsync("fetchPatientGroups", Path("patient", patientId, "groups"), Json.TwinePageGroupResource, cancellationToken);

    // Patient health metrics

    public Task<TwinePage<PatientHealthMetricResource>> FetchPatientHealthMetricsAsync(PatientHealthMetricQuery query, CancellationToken cancellationToken = default) =>
        GetAsync("fetchPatientHealthMetrics", "patient_health_metric" + Q(query), Json.TwinePagePatientHealthMetricResource, cancellationToken);

    public IAsyncEnumerable<TwinePage<PatientHealthMetricResource>> FetchPatientHealthMetricsPagesAsync(PatientHealthMetricQuery query, CancellationToken cancellationToken = default) =>
        PagesAsync("fetchPatientHealthMetrics", "patient_health_metric" + Q(query), Json.TwinePagePatientHealthMetricResource, cancellationToken);

    public Task<TwineResponse<PatientHealthMetricResource>> CreatePatientHealthMetricAsync(PatientHealthMetricResource metric, bool ignoreDuplicates = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var body = new TwineRequest<PatientHealthMetricResource> { Data = metric, Meta = ignoreDuplicates ? new RequestMeta { IgnoreDuplicates = true } : null };
        return SendAsync("createPatientHealthMetric", HttpMethod.Post, "patient_health_metric", body, Json.TwineRequestPatientHealthMetricResource, retryable: ignoreDuplicates, Json.TwineResponsePatientHealthMetricResource, cancellationToken);
    }

    public Task<TwinePage<PatientHealthMetricResource>> CreatePatientHealthMetricAsync(IReadOnlyCollection<PatientHealthMetricResource> metrics, bool ignoreDuplicates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            throw new ArgumentException("At least one metric is required.", nameof(metrics));
        }

        var body = new TwineRequest<List<PatientHealthMetricResource>> { Data = [.. metrics], Meta = ignoreDuplicates ? new RequestMeta { IgnoreDuplicates = true } : null };
        return SendAsync("createPatientHealthMetric", HttpMethod.Post, "patient_health_metric", body, Json.TwineRequestListPatientHealthMetricResource, retryable: ignoreDuplicates, Json.TwinePagePatientHealthMetricResource, cancellationToken);
    }

    private static TwineRequest<T> Body<T>(T resource)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(resource);
        return new TwineRequest<T> { Data = resource };
    }

    private static string Q(TwineListQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.ToQueryString();
    }
}
