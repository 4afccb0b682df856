using System.Text.Json.Nodes;

namespace Twine.Client.Models;

/// <summary>A quantitative result for a patient (vital sign, lab result, ...).</summary>
public sealed class PatientHealthMetricResource() : TwineResource<PatientHealthMetricAttributes, PatientHealthMetricRelationships>(ResourceTypes.PatientHealthMetric);

public sealed class PatientHealthMetricAttributes
{
    /// <summary>The metric type, e.g. weight, blood_glucose, ldl_cholesterol, blood_pressure.</summary>
    public string? Type { get; set; }
    public MetricCode? Code { get; set; }

    /// <summary>Any JSON value depending on the type; mostly a number (<c>Value = 121.5</c> works).</summary>
    public JsonNode? Value { get; set; }

    public double? Systolic { get; set; }
    public double? Diastolic { get; set; }
    public string? Unit { get; set; }
    public DateTimeOffset? OccurredAt { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>A coded value, e.g. system LOINC, value 13457-7.</summary>
public sealed class MetricCode
{
    public string System { get; set; } = "";
    public string Value { get; set; } = "";
}

public sealed class PatientHealthMetricRelationships
{
    /// <summary>The patient, by id or by <c>meta.query</c> (<see cref="ResourceIdentifier.PatientByIdentifier"/>).</summary>
    public Relationship? Patient { get; set; }
}
