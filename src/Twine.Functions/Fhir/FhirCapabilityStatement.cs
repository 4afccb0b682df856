using Hl7.Fhir.Model;

namespace Twine.Functions.Fhir;

/// <summary>
/// The CapabilityStatement GET /api/fhir/metadata answers: exactly what the facade supports (FHIR 4.0.1, JSON only;
/// create Observation; batch/transaction/collection Bundles and Subscription notifications at POST /api/fhir; update
/// and delete Appointment), with the mapping rules in the documentation fields.
/// </summary>
public static class FhirCapabilityStatement
{
    public const string Name = "TwineFunctionsFhirFacade";

    /// <param name="date">When this statement was published (the app's build or start time).</param>
    /// <param name="baseUrl">The facade's base, e.g. https://host/api/fhir (implementation.url).</param>
    public static CapabilityStatement Build(DateTimeOffset date, string? baseUrl = null)
    {
        var statement = new CapabilityStatement
        {
            Name = Name,
            Title = "Twine Functions FHIR R4 facade",
            Status = PublicationStatus.Active,
            Date = date.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
            Kind = CapabilityStatementKind.Instance,
            FhirVersion = FHIRVersion.N4_0_1,
            Format = [FhirMediaTypes.FhirJson, "json"],
            Description = new Markdown(
                "Partners push FHIR R4 Observations (vital signs and lab results) and Appointments; the app translates them into Twine " +
                "patient health metrics and calendar events and delivers them asynchronously: writes answer 202 Accepted with " +
                "Content-Location pointing at the ingestion status. Every write needs a function key and a Standard Webhooks signature. " +
                "Nothing is stored as FHIR: the server does not support read or search."),
            Software = new CapabilityStatement.SoftwareComponent { Name = "Twine Functions" },
            Implementation = new CapabilityStatement.ImplementationComponent
            {
                Description = "FHIR facade of the Twine health-coaching integration",
                Url = baseUrl,
            },
        };

        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Documentation = new Markdown(
                "POST [base] takes a Bundle of type batch, transaction (processed entry by entry, not atomically) or collection whose " +
                $"entries are Observations and the Patients they reference (at most {FhirLimits.MaxBundleEntries} entries), or an R4 " +
                "Subscriptions Backport notification (Bundle type history) with full-resource content; id-only notifications are refused (422). " +
                "Each entry is delivered, skipped (with a reason) or refused (with its FHIRPath); the ingestion status lists them. " +
                "Errors are OperationOutcomes: 400 unparseable, 401 signature, 413 size, 415 media type, 422 business rule."),
            Security = new CapabilityStatement.SecurityComponent
            {
                Description = new Markdown("A function key (x-functions-key) on every route and a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) on every write."),
            },
        };
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent
        {
            Code = CapabilityStatement.SystemRestfulInteraction.Batch,
            Documentation = new Markdown("Observations (and Patients) only; each entry answered in the ingestion status."),
        });
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent
        {
            Code = CapabilityStatement.SystemRestfulInteraction.Transaction,
            Documentation = new Markdown("Accepted like a batch: entries succeed or fail one by one (no atomicity); urn:uuid: references between entries are resolved."),
        });

        var observation = new CapabilityStatement.ResourceComponent
        {
            Type = "Observation",
            Profile = "http://hl7.org/fhir/StructureDefinition/vitalsigns",
            Documentation = new Markdown(
                "create: status final, amended or corrected; code a mapped LOINC or IEEE 11073 MDC coding (docs/FHIR.md); valueQuantity with a " +
                "UCUM code (never converted); blood pressure from components; effectiveDateTime, effectiveInstant or effectivePeriod.start " +
                "with a date and a time; subject by identifier, by a Patient in the same Bundle, or a mapped Patient/{id}."),
        };
        observation.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Create });
        rest.Resource.Add(observation);

        var appointment = new CapabilityStatement.ResourceComponent
        {
            Type = "Appointment",
            UpdateCreate = true,
            Documentation = new Markdown(
                "update (create or update the Twine calendar event keyed by the Appointment id) and delete; status cancelled, noshow or " +
                "entered-in-error deletes the event. start and end (or minutesDuration) on one day; one Patient participant (the owner); " +
                "Practitioner participants through the partner's mapping; serviceType/appointmentType through the partner's event type mapping."),
        };
        appointment.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Update });
        appointment.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Delete });
        rest.Resource.Add(appointment);

        rest.Resource.Add(new CapabilityStatement.ResourceComponent
        {
            Type = "Patient",
            Documentation = new Markdown("Not an endpoint: Patients are read inside Bundles (and contained resources) to identify Observations' subjects."),
        });

        statement.Rest.Add(rest);
        return statement;
    }
}
