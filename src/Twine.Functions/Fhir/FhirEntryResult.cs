using System.Text.Json.Nodes;
using Twine.Functions.Metrics;

namespace Twine.Functions.Fhir;

public enum FhirEntryOutcome
{
    /// <summary>Mapped to a Twine metric (<see cref="FhirEntryResult.Metric"/>), to be queued.</summary>
    Delivered,

    /// <summary>Valid FHIR that Twine does not take (a status, a code, an absent value): not queued, with the reason.</summary>
    Skipped,

    /// <summary>Cannot be mapped as sent (a subject, a partial date): not queued, with the element's FHIRPath and the reason.</summary>
    Refused,
}

/// <summary>
/// What one Observation (or one Bundle entry) became. <see cref="Expression"/> is FHIRPath: the resource's path for
/// delivered and skipped entries (<c>Bundle.entry[3].resource</c>), the offending element's for refused ones
/// (<c>Bundle.entry[3].resource.subject</c>). Reasons name codes, systems and elements, never values or identifiers.
/// </summary>
/// <param name="Entry">The Bundle entry's index, or null for a single Observation.</param>
/// <param name="Mapped">The delivered metric's fields, written straight into its queue bytes.</param>
public sealed record FhirEntryResult(int? Entry, FhirEntryOutcome Outcome, string Expression, string? Reason, MappedMetric? Mapped)
{
    /// <summary>The delivered metric as the JSON:API resource (a new tree on every call), or null.</summary>
    public JsonObject? Metric => Mapped?.ToJsonObject();

    public static FhirEntryResult Delivered(int? entry, string expression, MappedMetric metric) => new(entry, FhirEntryOutcome.Delivered, expression, null, metric);

    public static FhirEntryResult Skipped(int? entry, string expression, string reason) => new(entry, FhirEntryOutcome.Skipped, expression, reason, null);

    public static FhirEntryResult Refused(int? entry, string expression, string reason) => new(entry, FhirEntryOutcome.Refused, expression, reason, null);

    /// <summary>Not the metric: its JSON holds the patient's identifier and the values (patient data).</summary>
    public override string ToString() => $"FhirEntryResult {{ Entry = {Entry}, Outcome = {Outcome}, Expression = {Expression}, Reason = {Reason} }}";
}

/// <summary>A Twine patient identifier (<c>meta.query</c>): the Twine system, the value and the partner's Twine organization.</summary>
public sealed record FhirPatientIdentifier(string System, string Value, string Organization)
{
    /// <summary>The Twine patient's <c>meta.query</c> in a metric.</summary>
    public MetricPatientQuery ToQuery() => new(System, Value, Organization);

    /// <summary>Not the value: identifiers are patient data.</summary>
    public override string ToString() => $"FhirPatientIdentifier {{ System = {System}, Organization = {Organization} }}";
}
