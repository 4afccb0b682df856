using System.Collections.Frozen;
using System.Text.Json;
using Twine.Functions.Ingestions;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Metrics;

/// <summary>
/// The rules one <c>patient_health_metric</c> resource must satisfy, from Twine's PatientHealthMetricResource and
/// createPatientHealthMetric: the same check for the HTTP edge and for queue messages (a queue message is a public
/// contract too). Documented in docs/QUEUE-MESSAGES.md.
/// </summary>
public static class MetricResourceValidator
{
    public const string ResourceType = "patient_health_metric";

    /// <summary>The spec's enum for attributes.type.</summary>
    public static readonly FrozenSet<string> MetricTypes = new[]
    {
        "blood_pressure_systolic", "blood_pressure_diastolic", "hemoglobin_a1c", "hdl_cholesterol", "ldl_cholesterol",
        "total_cholesterol", "triglycerides", "blood_urea_nitrogen", "creatinine", "hemoglobin", "hematocrit",
        "total_serum_iron", "thyroid_stimulating_hormone", "free_thyroxine", "free_triiodothyronine",
        "total_triiodothyronine", "cd4_cell_count", "hiv_viral_load", "inr", "free_testosterone", "total_testosterone",
        "c_reactive_protein", "prostate_specific_antigen", "cotinine", "c_peptide", "blood_pressure", "blood_glucose",
        "weight", "heart_rate", "body_fat_percentage", "body_mass_index", "body_temperature",
        "forced_expiratory_volume1", "forced_vital_capacity", "lean_body_mass", "nausea_level", "oxygen_saturation",
        "pain_level", "peak_expiratory_flow_rate", "peripheral_perfusion_index", "respiratory_rate", "inhaler_usage",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Adds an error (with a pointer below <paramref name="pointer"/>) for every rule the resource breaks.</summary>
    /// <remarks>Callers check the values first (<see cref="JsonRules.CheckValues"/>): a string that is not valid Unicode throws when read.</remarks>
    public static void Validate(JsonElement resource, string pointer, List<ProblemError> errors)
    {
        if (resource.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer(pointer, "Each metric must be a JSON:API resource object."));
            return;
        }

        var type = JsonRules.GetString(resource, "type", pointer, errors, required: true);
        if (type is not null && type != ResourceType)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/type", $"'type' must be '{ResourceType}'."));
        }

        if (JsonRules.TryGetObject(resource, "attributes", pointer, errors, out var attributes))
        {
            ValidateAttributes(attributes, $"{pointer}/attributes", errors);
        }

        ValidatePatient(resource, pointer, errors);
    }

    private static void ValidateAttributes(JsonElement attributes, string pointer, List<ProblemError> errors)
    {
        var metricType = JsonRules.GetString(attributes, "type", pointer, errors, required: true);
        if (metricType is not null && !MetricTypes.Contains(metricType))
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/type", "'type' is not one of Twine's metric types."));
        }

        JsonRules.GetTimestamp(attributes, "occurred_at", pointer, errors, required: true);

        var hasSystolic = CheckNumber(attributes, "systolic", pointer, errors);
        var hasDiastolic = CheckNumber(attributes, "diastolic", pointer, errors);
        var hasValue = attributes.TryGetProperty("value", out var value) && value.ValueKind != JsonValueKind.Null;
        if (!hasValue && !(hasSystolic && hasDiastolic))
        {
            // 'value' may be any JSON value; a blood pressure may give systolic and diastolic instead.
            errors.Add(ProblemError.AtPointer($"{pointer}/value", "'value' is required (or both 'systolic' and 'diastolic')."));
        }

        JsonRules.GetString(attributes, "unit", pointer, errors, required: false);

        if (JsonRules.TryGetObject(attributes, "code", pointer, errors, out var code, required: false))
        {
            JsonRules.GetString(code, "system", $"{pointer}/code", errors, required: true);
            JsonRules.GetString(code, "value", $"{pointer}/code", errors, required: true);
        }
    }

    private static bool CheckNumber(JsonElement attributes, string name, string pointer, List<ProblemError> errors)
    {
        if (!attributes.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            return true;
        }

        errors.Add(ProblemError.AtPointer($"{pointer}/{name}", $"'{name}' must be a number."));
        return false;
    }

    /// <summary>relationships.patient.data with either an id or meta.query.identifier {system, value}.</summary>
    private static void ValidatePatient(JsonElement resource, string pointer, List<ProblemError> errors)
    {
        const string missing = "A patient is required: relationships.patient.data with an 'id' or a 'meta.query'.";
        if (!resource.TryGetProperty("relationships", out var relationships) || relationships.ValueKind != JsonValueKind.Object
            || !relationships.TryGetProperty("patient", out var patient) || patient.ValueKind != JsonValueKind.Object
            || !patient.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/relationships/patient/data", missing));
            return;
        }

        var dataPointer = $"{pointer}/relationships/patient/data";
        var type = JsonRules.GetString(data, "type", dataPointer, errors, required: false);
        if (type is not null && type != "patient")
        {
            errors.Add(ProblemError.AtPointer($"{dataPointer}/type", "'type' must be 'patient'."));
        }

        var hasId = data.TryGetProperty("id", out var id) && id.ValueKind != JsonValueKind.Null;
        if (hasId)
        {
            if (id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
            {
                errors.Add(ProblemError.AtPointer($"{dataPointer}/id", "'id' must be a non-empty string."));
            }

            return;
        }

        if (!JsonRules.TryGetObject(data, "meta", dataPointer, errors, out var meta, required: false))
        {
            errors.Add(ProblemError.AtPointer(dataPointer, missing));
            return;
        }

        var metaPointer = $"{dataPointer}/meta";
        if (!JsonRules.TryGetObject(meta, "query", metaPointer, errors, out var query))
        {
            return;
        }

        var queryPointer = $"{metaPointer}/query";
        if (JsonRules.TryGetObject(query, "identifier", queryPointer, errors, out var identifier))
        {
            JsonRules.GetString(identifier, "system", $"{queryPointer}/identifier", errors, required: true);
            JsonRules.GetString(identifier, "value", $"{queryPointer}/identifier", errors, required: true);
        }

        JsonRules.GetString(query, "organization", queryPointer, errors, required: false);
        if (query.TryGetProperty("groups", out var groups) && groups.ValueKind != JsonValueKind.Null
            && (groups.ValueKind != JsonValueKind.Array || groups.EnumerateArray().Any(g => g.ValueKind != JsonValueKind.String)))
        {
            errors.Add(ProblemError.AtPointer($"{queryPointer}/groups", "'groups' must be an array of strings."));
        }
    }
}
