using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Metrics;

/// <summary>
/// A <c>patient_health_metric</c> another route built from values it read (POST /api/fhir's Observations): its
/// fields, not a JSON tree, so that it is written once, straight into its queue bytes. Its JSON is always this shape:
/// <c>{"type","attributes":{"type","code":{"system","value"},"value"|"systolic","diastolic","unit","occurred_at"},
/// "relationships":{"patient":{"data":{"type":"patient","meta":{"query":{"identifier":{"system","value"},"organization"}}}}}}</c>.
/// </summary>
/// <remarks>ToString leaves out the patient and the values: they are patient data.</remarks>
public sealed class MappedMetric
{
    public required string MetricType { get; init; }

    public required string CodeSystem { get; init; }

    public required string CodeValue { get; init; }

    /// <summary>The value of a valueQuantity; null for a whole number (<see cref="WholeValue"/>) or a blood pressure.</summary>
    public decimal? Value { get; init; }

    /// <summary>The value of a valueInteger.</summary>
    public int? WholeValue { get; init; }

    public decimal? Systolic { get; init; }

    public decimal? Diastolic { get; init; }

    /// <summary>The UCUM code; a valueInteger has none (and then the metric has no <c>unit</c> member).</summary>
    public string? Unit { get; init; }

    /// <summary>Written as <see cref="OccurredAtFormat"/>: always a timestamp <see cref="JsonRules.GetTimestamp"/> takes.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Seconds, the fraction without trailing zeros (none when zero), the offset as ±hh:mm.</summary>
    public const string OccurredAtFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz";

    public required MetricPatientQuery Patient { get; init; }

    /// <summary>The metric as the JSON:API resource, members in the order <see cref="WriteTo"/> writes them.</summary>
    public JsonObject ToJsonObject()
    {
        var attributes = new JsonObject
        {
            ["type"] = MetricType,
            ["code"] = new JsonObject { ["system"] = CodeSystem, ["value"] = CodeValue },
        };
        if (Value is { } value)
        {
            attributes["value"] = value;
        }
        else if (WholeValue is { } whole)
        {
            attributes["value"] = whole;
        }
        else
        {
            attributes["systolic"] = Systolic;
            attributes["diastolic"] = Diastolic;
        }

        if (Unit is not null)
        {
            attributes["unit"] = Unit;
        }

        attributes["occurred_at"] = OccurredAt.ToString(OccurredAtFormat, CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["type"] = MetricResourceValidator.ResourceType,
            ["attributes"] = attributes,
            ["relationships"] = new JsonObject { ["patient"] = new JsonObject { ["data"] = Patient.ToQueryData() } },
        };
    }

    /// <summary>Writes exactly what <see cref="ToJsonObject"/>'s <c>WriteTo</c> writes, without building the tree.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Type, Names.ResourceType);
        writer.WriteStartObject(Names.Attributes);
        writer.WriteString(Names.Type, MetricType);
        writer.WriteStartObject(Names.Code);
        writer.WriteString(Names.System, CodeSystem);
        writer.WriteString(Names.Value, CodeValue);
        writer.WriteEndObject();
        if (Value is { } value)
        {
            writer.WriteNumber(Names.Value, value);
        }
        else if (WholeValue is { } whole)
        {
            writer.WriteNumber(Names.Value, whole);
        }
        else
        {
            WriteNumberOrNull(writer, Names.Systolic, Systolic);
            WriteNumberOrNull(writer, Names.Diastolic, Diastolic);
        }

        if (Unit is not null)
        {
            writer.WriteString(Names.Unit, Unit);
        }

        Span<byte> occurredAt = stackalloc byte[40];
        OccurredAt.TryFormat(occurredAt, out var written, OccurredAtFormat, CultureInfo.InvariantCulture);
        writer.WriteString(Names.OccurredAt, occurredAt[..written]);
        writer.WriteEndObject();
        writer.WriteStartObject(Names.Relationships);
        writer.WriteStartObject(Names.Patient);
        writer.WritePropertyName(Names.Data);
        Patient.WriteQueryData(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Member names and fixed values, encoded once (plain ASCII: every encoder writes them alike).</summary>
    internal static class Names
    {
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Attributes = JsonEncodedText.Encode("attributes");
        public static readonly JsonEncodedText Code = JsonEncodedText.Encode("code");
        public static readonly JsonEncodedText System = JsonEncodedText.Encode("system");
        public static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
        public static readonly JsonEncodedText Systolic = JsonEncodedText.Encode("systolic");
        public static readonly JsonEncodedText Diastolic = JsonEncodedText.Encode("diastolic");
        public static readonly JsonEncodedText Unit = JsonEncodedText.Encode("unit");
        public static readonly JsonEncodedText OccurredAt = JsonEncodedText.Encode("occurred_at");
        public static readonly JsonEncodedText Relationships = JsonEncodedText.Encode("relationships");
        public static readonly JsonEncodedText Patient = JsonEncodedText.Encode("patient");
        public static readonly JsonEncodedText Data = JsonEncodedText.Encode("data");
        public static readonly JsonEncodedText Meta = JsonEncodedText.Encode("meta");
        public static readonly JsonEncodedText Query = JsonEncodedText.Encode("query");
        public static readonly JsonEncodedText Identifier = JsonEncodedText.Encode("identifier");
        public static readonly JsonEncodedText Organization = JsonEncodedText.Encode("organization");
        public static readonly JsonEncodedText ResourceType = JsonEncodedText.Encode(MetricResourceValidator.ResourceType);
    }

    /// <summary>
    /// True when <see cref="MetricResourceValidator"/> and <see cref="JsonRules.CheckValues"/> would find nothing to
    /// refuse in this metric's JSON. Only the rules a field of this shape can break are asked (the same rule code where
    /// there is one); false means "not sure", and the caller then runs the rules on the JSON to report what is wrong.
    /// occurred_at is not asked: written from a DateTimeOffset as <see cref="OccurredAtFormat"/>, it is always a timestamp
    /// the rule takes (a property test holds this over the whole range of DateTimeOffset).
    /// </summary>
    internal bool PassesRules() =>
        MetricResourceValidator.MetricTypes.Contains(MetricType)
        && IsRequiredText(CodeSystem) && IsRequiredText(CodeValue)
        && (Value is not null || WholeValue is not null || (Systolic is not null && Diastolic is not null))
        && (Unit is null || IsText(Unit))
        && IsRequiredText(Patient.System) && IsRequiredText(Patient.Value)
        && (Patient.Organization is null || IsText(Patient.Organization));

    // A required string the rules read: present, not blank, and valid UTF-16 (a lone surrogate is what CheckValues refuses).
    private static bool IsRequiredText(string? text) => !string.IsNullOrWhiteSpace(text) && IsText(text);

    private static bool IsText(string text) => !HasLoneSurrogate(text);

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i]))
            {
                continue;
            }

            if (!char.IsHighSurrogate(text[i]) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
            {
                return true;
            }

            i++;
        }

        return false;
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, JsonEncodedText name, decimal? number)
    {
        if (number is { } value)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    public override string ToString() => $"MappedMetric {{ MetricType = {MetricType}, Patient = {Patient} }}";
}

/// <summary>A Twine patient by <c>meta.query</c>: a Twine identifier system, the identifier's value, the organization.</summary>
public sealed class MetricPatientQuery(string system, string value, string? organization)
{
    public string System { get; } = system;

    public string Value { get; } = value;

    public string? Organization { get; } = organization;

    /// <summary><c>{"type":"patient","meta":{"query":{"identifier":{system,value},"organization":…}}}</c>, a relationship's data.</summary>
    public JsonObject ToQueryData() => new()
    {
        ["type"] = "patient",
        ["meta"] = new JsonObject
        {
            ["query"] = new JsonObject
            {
                ["identifier"] = new JsonObject { ["system"] = System, ["value"] = Value },
                ["organization"] = Organization,
            },
        },
    };

    /// <summary>Writes what <see cref="ToQueryData"/>'s <c>WriteTo</c> writes.</summary>
    public void WriteQueryData(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString(MappedMetric.Names.Type, MappedMetric.Names.Patient);
        writer.WriteStartObject(MappedMetric.Names.Meta);
        writer.WriteStartObject(MappedMetric.Names.Query);
        writer.WriteStartObject(MappedMetric.Names.Identifier);
        writer.WriteString(MappedMetric.Names.System, System);
        writer.WriteString(MappedMetric.Names.Value, Value);
        writer.WriteEndObject();
        writer.WriteString(MappedMetric.Names.Organization, Organization);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Not the value: identifiers are patient data.</summary>
    public override string ToString() => $"MetricPatientQuery {{ System = {System}, Organization = {Organization} }}";
}
