using Twine.Client.Auth;
using Twine.Client.Models;
using Twine.Client.Queries;

namespace Twine.Client;

/// <summary>
/// The Twine API operations this project uses, one method per operationId. Every failure surfaces as
/// <see cref="Errors.TwineApiException"/>; a caller's own cancellation as <see cref="OperationCanceledException"/>.
/// List operations return one page; the <c>...PagesAsync</c> variants follow <c>links.next</c> over every page.
/// </summary>
public interface ITwineClient
{
    // OAuth and organisation

    /// <summary>createToken: a token for the given credentials. Other calls get their tokens automatically.</summary>
    Task<TwineResponse<TokenResource>> CreateTokenAsync(TwineCredentials credentials, CancellationToken cancellationToken = default);

    /// <summary>fetchTokenGroups: the groups a token can access.</summary>
    Task<TwinePage<GroupResource>> FetchTokenGroupsAsync(string tokenId, CancellationToken cancellationToken = default);

    /// <summary>fetchTokenOrganization: the organization a token can access.</summary>
    Task<TwineResponse<OrganizationResource>> FetchTokenOrganizationAsync(string tokenId, CancellationToken cancellationToken = default);

    Task<TwineResponse<OrganizationResource>> FetchOrganizationAsync(string id, CancellationToken cancellationToken = default);

    // Groups and coaches

    Task<TwinePage<GroupResource>> FetchGroupsAsync(GroupQuery query, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<GroupResource>> FetchGroupsPagesAsync(GroupQuery query, CancellationToken cancellationToken = default);

    /// <summary>createGroup. Not retried: a repeat could create a second group.</summary>
    Task<TwineResponse<GroupResource>> CreateGroupAsync(GroupResource group, CancellationToken cancellationToken = default);

    Task<TwineResponse<GroupResource>> FetchGroupAsync(string id, CancellationToken cancellationToken = default);

    Task<TwineResponse<CoachResource>> FetchCoachAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>fetchCoaches: the coaches of an organization or of groups (the spec documents no paging).</summary>
    Task<TwinePage<CoachResource>> FetchCoachesAsync(CoachQuery query, CancellationToken cancellationToken = default);

    // Plan: actions and bundles

    /// <summary>createAction. Not retried.</summary>
    Task<TwineResponse<ActionResource>> CreateActionAsync(ActionResource action, CancellationToken cancellationToken = default);

    Task<TwineResponse<ActionResource>> FetchActionAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>updateAction: PATCH of <paramref name="action"/> (its <c>Id</c> is required).</summary>
    Task<TwineResponse<ActionResource>> UpdateActionAsync(ActionResource action, CancellationToken cancellationToken = default);

    /// <summary>createBundle. Not retried.</summary>
    Task<TwineResponse<BundleResource>> CreateBundleAsync(BundleResource bundle, CancellationToken cancellationToken = default);

    Task<TwineResponse<BundleResource>> FetchBundleAsync(string id, CancellationToken cancellationToken = default);

    Task<TwineResponse<BundleResource>> UpdateBundleAsync(BundleResource bundle, CancellationToken cancellationToken = default);

    // Calendar events

    Task<TwinePage<CalendarEventResource>> FetchCalendarEventsAsync(CalendarEventQuery query, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<CalendarEventResource>> FetchCalendarEventsPagesAsync(CalendarEventQuery query, CancellationToken cancellationToken = default);

    /// <summary>createCalendarEvent. Never retried: a repeat would create a second event.</summary>
    Task<TwineResponse<CalendarEventResource>> CreateCalendarEventAsync(CalendarEventResource calendarEvent, CancellationToken cancellationToken = default);

    Task<TwineResponse<CalendarEventResource>> FetchCalendarEventAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>updateCalendarEvent: only set attributes are sent; see <see cref="CalendarEventUpdateAttributes.MarkNotCompleted"/>.</summary>
    Task<TwineResponse<CalendarEventResource>> UpdateCalendarEventAsync(CalendarEventUpdateResource update, CancellationToken cancellationToken = default);

    /// <summary>deleteCalendarEvent. Not retried: a repeat after a lost answer would report ResourceNotFound for a delete that worked.</summary>
    Task DeleteCalendarEventAsync(string id, CancellationToken cancellationToken = default);

    // Email history

    Task<TwinePage<EmailHistoryResource>> FetchEmailHistoriesAsync(EmailHistoryQuery query, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<EmailHistoryResource>> FetchEmailHistoriesPagesAsync(EmailHistoryQuery query, CancellationToken cancellationToken = default);

    Task<TwineResponse<EmailHistoryResource>> FetchEmailHistoryAsync(string id, CancellationToken cancellationToken = default);

    // Health profiles

    Task<TwinePage<HealthProfileResource>> FetchHealthProfilesAsync(HealthProfileQuery query, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<HealthProfileResource>> FetchHealthProfilesPagesAsync(HealthProfileQuery query, CancellationToken cancellationToken = default);

    /// <param name="include"><c>patient</c>, <c>questions</c>.</param>
    Task<TwineResponse<HealthProfileResource>> FetchHealthProfileAsync(string id, IReadOnlyCollection<string>? include = null, CancellationToken cancellationToken = default);

    Task<TwinePage<HealthProfileAnswerResource>> FetchHealthProfileAnswersAsync(HealthProfileAnswerQuery query, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<HealthProfileAnswerResource>> FetchHealthProfileAnswersPagesAsync(HealthProfileAnswerQuery query, CancellationToken cancellationToken = default);

    /// <param name="include"><c>patient</c>.</param>
    Task<TwineResponse<HealthProfileAnswerResource>> FetchHealthProfileAnswerAsync(string id, IReadOnlyCollection<string>? include = null, CancellationToken cancellationToken = default);

    /// <param name="include"><c>question_definition</c>, <c>answer</c>.</param>
    Task<TwineResponse<HealthProfileQuestionResource>> FetchHealthProfileQuestionAsync(string id, IReadOnlyCollection<string>? include = null, CancellationToken cancellationToken = default);

    Task<TwinePage<HealthQuestionDefinitionResource>> FetchHealthQuestionDefinitionsAsync(HealthQuestionDefinitionQuery? query = null, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<HealthQuestionDefinitionResource>> FetchHealthQuestionDefinitionsPagesAsync(HealthQuestionDefinitionQuery? query = null, CancellationToken cancellationToken = default);

    Task<TwineResponse<HealthQuestionDefinitionResource>> FetchHealthQuestionDefinitionAsync(string id, CancellationToken cancellationToken = default);

    // Patients

    Task<TwinePage<PatientResource>> FetchPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<PatientResource>> FetchPatientsPagesAsync(PatientQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// createPatient. Retried only with <paramref name="ignoreDuplicates"/> and at least one identifier on the patient:
    /// then a repeat is skipped by Twine as a duplicate instead of creating a second patient.
    /// </summary>
    Task<TwineResponse<PatientResource>> CreatePatientAsync(PatientResource patient, bool ignoreDuplicates = false, CancellationToken cancellationToken = default);

    Task<TwineResponse<PatientResource>> FetchPatientAsync(string id, CancellationToken cancellationToken = default);

    Task<TwineResponse<PatientResource>> UpdatePatientAsync(PatientResource patient, CancellationToken cancellationToken = default);

    Task<TwinePage<CoachResource>> FetchPatientCoachesAsync(string patientId, CancellationToken cancellationToken = default);

    Task<TwinePage<GroupResource>> FetchPatientGroupsAsync(string patientId, CancellationToken cancellationToken = default);

    // Patient health metrics

    Task<TwinePage<PatientHealthMetricResource>> FetchPatientHealthMetricsAsync(PatientHealthMetricQuery query, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TwinePage<PatientHealthMetricResource>> FetchPatientHealthMetricsPagesAsync(PatientHealthMetricQuery query, CancellationToken cancellationToken = default);

    /// <summary>createPatientHealthMetric for one metric. Retried only with <paramref name="ignoreDuplicates"/>.</summary>
    Task<TwineResponse<PatientHealthMetricResource>> CreatePatientHealthMetricAsync(PatientHealthMetricResource metric, bool ignoreDuplicates = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// createPatientHealthMetric in bulk (<c>data</c> is an array). With <paramref name="ignoreDuplicates"/> a repeat is
    /// harmless, so it is retried; what Twine skipped is in <c>Meta.Ignored</c>.
    /// </summary>
    Task<TwinePage<PatientHealthMetricResource>> CreatePatientHealthMetricAsync(IReadOnlyCollection<PatientHealthMetricResource> metrics, bool ignoreDuplicates, CancellationToken cancellationToken = default);
}
