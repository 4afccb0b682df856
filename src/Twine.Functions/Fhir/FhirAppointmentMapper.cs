using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Twine.Functions.CalendarEvents;

namespace Twine.Functions.Fhir;

/// <summary>What PUT or DELETE /api/fhir/Appointment/{id} becomes: an upsert, a delete, or the failure (400, 422).</summary>
public sealed record FhirAppointmentRequest(FhirAppointmentAction? Action, FhirFailure? Failure);

/// <param name="ExternalId">The calendar event's externalId (<see cref="FhirAppointmentMapper.ExternalIdFor"/>).</param>
public abstract record FhirAppointmentAction(string ExternalId);

/// <summary>
/// Create or update the Twine calendar event. The owner is a patient identifier: the HTTP layer resolves it to a
/// Twine patient id (Twine's patient query, cached) and then builds the PUT body with <see cref="Body"/>.
/// </summary>
/// <param name="Event">The calendar_event resource without its owner (relationships are added by <see cref="Body"/>).</param>
public sealed record FhirAppointmentUpsert(string ExternalId, FhirPatientIdentifier Owner, JsonObject Event) : FhirAppointmentAction(ExternalId)
{
    /// <summary>The body PUT /api/calendar-events/{externalId} takes (CalendarEventRequestReader.ReadPut), owned by <paramref name="ownerPatientId"/>.</summary>
    public JsonObject Body(string ownerPatientId)
    {
        var data = (JsonObject)Event.DeepClone();
        data["relationships"] = new JsonObject
        {
            ["owner"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = ownerPatientId } },
        };
        return new JsonObject { ["meta"] = new JsonObject { ["external_id"] = ExternalId }, ["data"] = data };
    }
}

/// <summary>Delete the Twine calendar event (status cancelled, noshow, entered-in-error, or a DELETE).</summary>
public sealed record FhirAppointmentDelete(string ExternalId, string Reason) : FhirAppointmentAction(ExternalId)
{
    /// <summary>The body DELETE /api/calendar-events/{externalId} takes (CalendarEventRequestReader.ReadDelete).</summary>
    public JsonObject Body() => new() { ["meta"] = new JsonObject { ["external_id"] = ExternalId } };
}

/// <summary>
/// An Appointment to the calendar event the PUT /api/calendar-events/{externalId} route takes (docs/FHIR.md,
/// "Appointments"). Pure and total: anything that cannot be mapped is a 422 whose issues name the elements.
/// </summary>
public static partial class FhirAppointmentMapper
{
    /// <summary>Calendar events from FHIR are keyed <c>fhir-appointment-{id}</c>, apart from the partner's JSON:API externalIds.</summary>
    public const string ExternalIdPrefix = "fhir-appointment-";

    /// <summary>Used when an Appointment has neither a description nor a type text.</summary>
    public const string DefaultTitle = "Appointment";

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$")]
    private static partial Regex FhirId();

    [GeneratedRegex(@"^Practitioner/[A-Za-z0-9\-\.]{1,64}$")]
    private static partial Regex LiteralPractitioner();

    public static string ExternalIdFor(string appointmentId) => ExternalIdPrefix + appointmentId;

    /// <summary>PUT /api/fhir/Appointment/{id}: the body must be that Appointment.</summary>
    public static FhirAppointmentRequest ReadPut(string routeId, ReadOnlyMemory<byte> body, FhirPartner partner)
    {
        if (CheckId(routeId) is { } badId)
        {
            return new(null, badId);
        }

        var parsed = FhirResourceReader.Read(body);
        if (parsed.Failure is { } failure)
        {
            return new(null, failure);
        }

        if (parsed.Resource is not Appointment appointment)
        {
            return new(null, OperationOutcomes.Failure(FhirStatusCodes.Unparseable, OperationOutcome.IssueType.NotSupported,
                $"The body is a {parsed.Resource!.TypeName}; PUT /api/fhir/Appointment/{{id}} takes an Appointment.", parsed.Resource.TypeName));
        }

        return Map(appointment, routeId, partner);
    }

    /// <summary>DELETE /api/fhir/Appointment/{id}.</summary>
    public static FhirAppointmentRequest ReadDelete(string routeId) =>
        CheckId(routeId) is { } badId ? new(null, badId) : new(new FhirAppointmentDelete(ExternalIdFor(routeId), "DELETE"), null);

    public static FhirAppointmentRequest Map(Appointment appointment, string routeId, FhirPartner partner)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        ArgumentNullException.ThrowIfNull(partner);
        if (CheckId(routeId) is { } badId)
        {
            return new(null, badId);
        }

        if (appointment.Id != routeId)
        {
            // FHIR update: an id that is missing or disagrees with the URL is a 400.
            return new(null, OperationOutcomes.Failure(FhirStatusCodes.Unparseable, OperationOutcome.IssueType.Invalid,
                "Appointment.id must equal the id in the URL (FHIR update).", "Appointment.id"));
        }

        var externalId = ExternalIdFor(routeId);
        if (appointment.Status is Appointment.AppointmentStatus.Cancelled or Appointment.AppointmentStatus.Noshow or Appointment.AppointmentStatus.EnteredInError)
        {
            return new(new FhirAppointmentDelete(externalId, $"status {appointment.StatusElement.JsonValue}"), null);
        }

        var issues = new List<OperationOutcome.IssueComponent>();
        void Refuse(string expression, string diagnostics) =>
            issues.Add(OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule, diagnostics, expression));

        var (startAt, endAt) = Times(appointment, Refuse);
        var eventType = EventType(appointment, partner, Refuse);
        var owner = Owner(appointment, partner, Refuse);
        var attendees = Attendees(appointment, partner, Refuse);

        if (issues.Count > 0)
        {
            return new(null, OperationOutcomes.BusinessRule(issues));
        }

        var attributes = new JsonObject
        {
            ["type"] = eventType,
            ["title"] = Title(appointment),
            ["all_day"] = false,
            ["start_at"] = startAt,
            ["end_at"] = endAt,
            ["attendees"] = attendees,
        };
        if (!string.IsNullOrWhiteSpace(appointment.Comment))
        {
            attributes["description"] = appointment.Comment;
        }

        if (Location(appointment) is { } location)
        {
            attributes["location"] = location;
        }

        var data = new JsonObject { ["type"] = "calendar_event", ["attributes"] = attributes };
        return new(new FhirAppointmentUpsert(externalId, owner!, data), null);
    }

    private static FhirFailure? CheckId(string? routeId) =>
        routeId is not null && FhirId().IsMatch(routeId)
            ? null
            : OperationOutcomes.Failure(FhirStatusCodes.Unparseable, OperationOutcome.IssueType.Invalid,
                "The id in the URL must be a FHIR id: 1 to 64 letters, digits, '-' or '.'.");

    /// <summary>start and end (or start + minutesDuration), in the start's offset; a non-all-day Twine event starts and ends on one day.</summary>
    private static (string? Start, string? End) Times(Appointment appointment, Action<string, string> refuse)
    {
        if (appointment.StartElement?.Value is not { } start)
        {
            refuse("Appointment.start", "start is required: a Twine calendar event has a start time.");
            return (null, null);
        }

        DateTimeOffset end;
        if (appointment.EndElement?.Value is { } givenEnd)
        {
            end = givenEnd;
        }
        else if (appointment.MinutesDuration is > 0 and var minutes)
        {
            end = start.AddMinutes(minutes);
        }
        else
        {
            refuse("Appointment.end", "end (or a positive minutesDuration) is required: a Twine event that is not all-day has an end.");
            return (null, null);
        }

        end = end.ToOffset(start.Offset);
        if (end <= start)
        {
            refuse(appointment.EndElement is null ? "Appointment.minutesDuration" : "Appointment.end", "The end must be after the start.");
        }
        else if (end.Date != start.Date)
        {
            refuse(appointment.EndElement is null ? "Appointment.minutesDuration" : "Appointment.end",
                "The Appointment must end on the day it starts (in the start's offset): Twine events that are not all-day do.");
        }

        return (Format(start), Format(end));
    }

    private static string Format(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>serviceType codings, then appointmentType codings, through the partner's mapping; else its default.</summary>
    private static string? EventType(Appointment appointment, FhirPartner partner, Action<string, string> refuse)
    {
        foreach (var coding in appointment.ServiceType.SelectMany(s => s.Coding).Concat(appointment.AppointmentType?.Coding ?? []))
        {
            if (partner.EventTypeFor(coding.System, coding.Code) is { } mapped)
            {
                return mapped;
            }
        }

        if (partner.DefaultEventType is { } fallback)
        {
            return fallback;
        }

        refuse(appointment.ServiceType.Count > 0 ? "Appointment.serviceType" : "Appointment.appointmentType",
            "No serviceType or appointmentType coding is mapped to a Twine event type, and this partner has no DefaultEventType.");
        return null;
    }

    private static bool IsActor(Appointment.ParticipantComponent participant, string type) =>
        participant.Actor is { } actor
        && (actor.Type == type || (actor.Reference?.StartsWith(type + "/", StringComparison.Ordinal) ?? false));

    /// <summary>The one Patient participant, as a Twine identifier.</summary>
    private static FhirPatientIdentifier? Owner(Appointment appointment, FhirPartner partner, Action<string, string> refuse)
    {
        var patients = appointment.Participant.Select((p, i) => (Participant: p, Index: i)).Where(p => IsActor(p.Participant, "Patient")).ToList();
        if (patients.Count != 1)
        {
            refuse("Appointment.participant", patients.Count == 0
                ? "A Patient participant is required: it becomes the Twine event's owner."
                : "Exactly one Patient participant is accepted: a Twine event has one owner.");
            return null;
        }

        var (participant, index) = patients[0];
        var subject = FhirSubjects.Resolve(participant.Actor, $"Appointment.participant[{index}].actor", appointment, partner, FhirBundlePatients.None);
        if (subject.Identifier is null)
        {
            refuse(subject.RefusedAt!, subject.Reason!);
        }

        return subject.Identifier;
    }

    /// <summary>Practitioner participants through the partner's mapping (by Practitioner/{id} or system|value).</summary>
    private static JsonArray Attendees(Appointment appointment, FhirPartner partner, Action<string, string> refuse)
    {
        var attendees = new JsonArray();
        var users = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < appointment.Participant.Count; i++)
        {
            var participant = appointment.Participant[i];
            if (!IsActor(participant, "Practitioner"))
            {
                continue;
            }

            var actor = participant.Actor!;
            string? user = null;
            if (actor.Reference is { } reference && LiteralPractitioner().IsMatch(reference))
            {
                user = partner.TwineUserFor(reference);
            }

            if (user is null && actor.Identifier is { System: { } system, Value: { } value })
            {
                user = partner.TwineUserFor($"{system}|{value}");
            }

            if (user is null)
            {
                refuse($"Appointment.participant[{i}].actor", "The Practitioner is not mapped to a Twine user for this partner (Practitioners: Practitioner/{id} or system|value).");
                continue;
            }

            if (users.Add(user))
            {
                attendees.Add(new JsonObject { ["user"] = user, ["response_status"] = ResponseStatus(participant.Status) });
            }
        }

        return attendees;
    }

    private static string ResponseStatus(ParticipationStatus? status) => status switch
    {
        ParticipationStatus.Accepted => "accepted",
        ParticipationStatus.Declined => "declined",
        ParticipationStatus.Tentative => "tentative",
        _ => "needsAction",
    };

    /// <summary>description (the subject line), else the type's text, else <see cref="DefaultTitle"/>.</summary>
    private static string Title(Appointment appointment)
    {
        var candidates = new[]
        {
            appointment.Description,
            appointment.AppointmentType?.Text,
            appointment.ServiceType.Select(s => s.Text ?? s.Coding.FirstOrDefault()?.Display).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t)),
            appointment.AppointmentType?.Coding.FirstOrDefault()?.Display,
        };
        return candidates.FirstOrDefault(t => !string.IsNullOrWhiteSpace(t))?.Trim() ?? DefaultTitle;
    }

    /// <summary>A Location participant's display, if any.</summary>
    private static string? Location(Appointment appointment) =>
        appointment.Participant.Where(p => IsActor(p, "Location")).Select(p => p.Actor!.Display).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
}
