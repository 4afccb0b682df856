namespace Twine.Client.Queries;

/// <summary>
/// Paging shared by collection operations. Either skip-based (<see cref="PageNumber"/>/<see cref="PageSize"/>) or
/// cursor-based (<see cref="PageLimit"/>/<see cref="PageAfter"/>); Twine refuses a mix. Size or limit 0 returns only meta.count.
/// </summary>
public abstract class TwineListQuery
{
    public int? PageNumber { get; set; }
    public int? PageSize { get; set; }
    public int? PageLimit { get; set; }

    /// <summary>The cursor from a previous page (normally followed through links.next instead).</summary>
    public string? PageAfter { get; set; }

    internal string ToQueryString()
    {
        if ((PageNumber is not null || PageSize is not null) && (PageLimit is not null || PageAfter is not null))
        {
            throw new ArgumentException("Skip-based (page[number]/page[size]) and cursor-based (page[limit]/page[after]) paging cannot be mixed.");
        }

        var query = new QueryString();
        AddParameters(query);
        return query
            .Add("page[number]", PageNumber)
            .Add("page[size]", PageSize)
            .Add("page[limit]", PageLimit)
            .Add("page[after]", PageAfter)
            .ToString();
    }

    private protected abstract void AddParameters(QueryString query);
}

/// <summary>fetchGroups: <c>filter[organization]</c> is required.</summary>
public sealed class GroupQuery : TwineListQuery
{
    public required string Organization { get; set; }
    public string? Name { get; set; }

    private protected override void AddParameters(QueryString query) => query
        .Add("filter[organization]", Organization)
        .Add("filter[name]", Name);
}

/// <summary>fetchCoaches: organization or groups is required.</summary>
public sealed class CoachQuery : TwineListQuery
{
    public string? Organization { get; set; }
    public List<string>? Groups { get; set; }

    private protected override void AddParameters(QueryString query) => query
        .Add("filter[organization]", Organization)
        .Add("filter[groups]", Groups);
}

/// <summary>fetchCalendarEvents: one of patient, groups, organization or attendees is required.</summary>
public sealed class CalendarEventQuery : TwineListQuery
{
    public string? Patient { get; set; }
    public List<string>? Groups { get; set; }
    public string? Organization { get; set; }

    /// <summary>Coach or patient ids.</summary>
    public List<string>? Attendees { get; set; }

    /// <summary>See <see cref="Models.CalendarEventTypes"/>.</summary>
    public string? Type { get; set; }

    public bool? Completed { get; set; }
    public DateRange? StartAt { get; set; }
    public DateRange? EndAt { get; set; }
    public DateRange? CompletedAt { get; set; }
    public DateRange? CreatedAt { get; set; }
    public DateRange? UpdatedAt { get; set; }

    /// <summary>e.g. <c>owner</c>.</summary>
    public List<string>? Include { get; set; }

    /// <summary>e.g. <c>start_at</c> or <c>-start_at</c>.</summary>
    public string? Sort { get; set; }

    private protected override void AddParameters(QueryString query) => query
        .Add("filter[patient]", Patient)
        .Add("filter[groups]", Groups)
        .Add("filter[organization]", Organization)
        .Add("filter[attendees]", Attendees)
        .Add("filter[type]", Type)
        .Add("filter[completed]", Completed)
        .Add("filter[start_at]", StartAt)
        .Add("filter[end_at]", EndAt)
        .Add("filter[completed_at]", CompletedAt)
        .Add("filter[created_at]", CreatedAt)
        .Add("filter[updated_at]", UpdatedAt)
        .Add("include", Include)
        .Add("sort", Sort);
}

/// <summary>fetchEmailHistories: receiver or sender is required.</summary>
public sealed class EmailHistoryQuery : TwineListQuery
{
    public string? Receiver { get; set; }
    public string? Sender { get; set; }
    public string? EmailType { get; set; }

    /// <summary><see cref="SendTimeAscending"/> or <see cref="SendTimeDescending"/>.</summary>
    public string? Sort { get; set; }

    public const string SendTimeAscending = "send_time";
    public const string SendTimeDescending = "-send_time";

    private protected override void AddParameters(QueryString query) => query
        .Add("filter[receiver]", Receiver)
        .Add("filter[sender]", Sender)
        .Add("filter[emailType]", EmailType)
        .Add("sort", Sort);
}

/// <summary>The filters health profiles and their answers share: one of patient, groups or organization is required.</summary>
public abstract class HealthProfileScopedQuery : TwineListQuery
{
    public string? Patient { get; set; }
    public List<string>? Groups { get; set; }
    public string? Organization { get; set; }

    /// <summary>Related resources: <c>patient</c> (and <c>questions</c> for health profiles).</summary>
    public List<string>? Include { get; set; }

    private protected override void AddParameters(QueryString query) => query
        .Add("filter[patient]", Patient)
        .Add("filter[groups]", Groups)
        .Add("filter[organization]", Organization)
        .Add("include", Include);
}

/// <summary>fetchHealthProfiles.</summary>
public sealed class HealthProfileQuery : HealthProfileScopedQuery;

/// <summary>fetchHealthProfileAnswers.</summary>
public sealed class HealthProfileAnswerQuery : HealthProfileScopedQuery;

/// <summary>fetchHealthQuestionDefinitions: no filters, paging only.</summary>
public sealed class HealthQuestionDefinitionQuery : TwineListQuery
{
    private protected override void AddParameters(QueryString query)
    {
    }
}

/// <summary>fetchPatients: groups or organization is required.</summary>
public sealed class PatientQuery : TwineListQuery
{
    public List<string>? Groups { get; set; }
    public string? Organization { get; set; }

    /// <summary>With <see cref="IdentifierValue"/>: find patients by an identifier.</summary>
    public string? IdentifierSystem { get; set; }
    public string? IdentifierValue { get; set; }

    public bool? Archived { get; set; }
    public DateRange? CreatedAt { get; set; }
    public DateRange? UpdatedAt { get; set; }

    private protected override void AddParameters(QueryString query) => query
        .Add("filter[groups]", Groups)
        .Add("filter[organization]", Organization)
        .Add("filter[identifier][system]", IdentifierSystem)
        .Add("filter[identifier][value]", IdentifierValue)
        .Add("filter[archived]", Archived)
        .Add("filter[created_at]", CreatedAt)
        .Add("filter[updated_at]", UpdatedAt);
}

/// <summary>fetchPatientHealthMetrics: one of patient, groups or organization is required.</summary>
public sealed class PatientHealthMetricQuery : TwineListQuery
{
    public string? Patient { get; set; }
    public List<string>? Groups { get; set; }
    public string? Organization { get; set; }

    private protected override void AddParameters(QueryString query) => query
        .Add("filter[patient]", Patient)
        .Add("filter[groups]", Groups)
        .Add("filter[organization]", Organization);
}
