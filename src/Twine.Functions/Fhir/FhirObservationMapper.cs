using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Twine.Functions.Metrics;

namespace Twine.Functions.Fhir;

/// <summary>
/// One Observation to one Twine <c>patient_health_metric</c> resource (the JSON:API resource POST /api/metrics
/// takes), or the reason it is skipped or refused. Pure and total: every Observation gets exactly one result, and
/// nothing throws. The rules are in docs/FHIR.md; the checks run in this order, so an Observation that would not be
/// delivered anyway is skipped rather than refused: status, code, value (data absent), then effective[x] and subject.
/// </summary>
public static partial class FhirObservationMapper
{
    [GeneratedRegex(@"^(?<date>\d{4}-\d{2}-\d{2})T(?<time>\d{2}:\d{2}:\d{2})(?<fraction>\.\d+)?(?<zone>Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex FullDateTime();

    [GeneratedRegex(@"^\d{4}(-\d{2})?$")]
    private static partial Regex PartialDate();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DateOnly();

    /// <param name="observation">The parsed Observation.</param>
    /// <param name="path">Its FHIRPath: <c>Observation</c>, or <c>Bundle.entry[3].resource</c> in a Bundle.</param>
    /// <param name="partner">The partner's settings (identifier systems, organization).</param>
    /// <param name="patients">The Bundle's Patients, for references to them; <see cref="FhirBundlePatients.None"/> outside a Bundle.</param>
    /// <param name="entry">The Bundle entry's index, carried into the result.</param>
    public static FhirEntryResult Map(Observation observation, string path, FhirPartner partner, FhirBundlePatients? patients = null, int? entry = null)
    {
        ArgumentNullException.ThrowIfNull(observation);
        ArgumentNullException.ThrowIfNull(partner);
        patients ??= FhirBundlePatients.None;

        switch (observation.Status)
        {
            case ObservationStatus.Final or ObservationStatus.Amended or ObservationStatus.Corrected:
                break;
            case null:
                return FhirEntryResult.Refused(entry, $"{path}.status", "status is required.");
            default:
                return FhirEntryResult.Skipped(entry, path,
                    $"status '{StatusCode(observation.Status.Value)}' is not delivered: only final, amended and corrected results are.");
        }

        var mapping = MappingOf(observation.Code, out var conflicting);
        if (conflicting)
        {
            var types = (observation.Code?.Coding ?? []).Select(c => FhirCodeMap.Find(c.System, c.Code)?.MetricType).OfType<string>().Distinct(StringComparer.Ordinal);
            return FhirEntryResult.Refused(entry, $"{path}.code", $"The codings map to different Twine metric types ({string.Join(", ", types)}); the app does not choose between them.");
        }

        if (mapping is null)
        {
            return FhirEntryResult.Skipped(entry, path, $"No coding of the code is mapped to a Twine metric type ({DescribeCodings(observation.Code)}).");
        }

        var measured = new Measured();
        var valueResult = mapping.IsBloodPressurePanel
            ? BloodPressure(observation, path, ref measured, entry)
            : Value(observation, path, ref measured, entry);
        if (valueResult is not null)
        {
            return valueResult;
        }

        if (!TryOccurredAt(observation.Effective, new LazyFhirPath(path, ".effective"), out var occurredAt, out var refusedAt, out var reason))
        {
            return FhirEntryResult.Refused(entry, refusedAt!, reason!);
        }

        var subject = FhirSubjects.Resolve(observation.Subject, $"{path}.subject", observation, partner, patients);
        if (subject.Identifier is not { } identifier)
        {
            return FhirEntryResult.Refused(entry, subject.RefusedAt!, subject.Reason!);
        }

        var loinc = mapping.Loinc.Length > 0;
        return FhirEntryResult.Delivered(entry, path, new MappedMetric
        {
            MetricType = mapping.MetricType,
            CodeSystem = loinc ? FhirSystems.TwineLoinc : "MDC",
            CodeValue = loinc ? mapping.Loinc : mapping.Code,
            Value = measured.Value,
            WholeValue = measured.Whole,
            Systolic = measured.Systolic,
            Diastolic = measured.Diastolic,
            Unit = measured.Unit,
            OccurredAt = occurredAt,
            Patient = identifier.ToQuery(),
        });
    }

    /// <summary>What value[x] (or a blood pressure's components) gave the metric.</summary>
    private struct Measured
    {
        public decimal? Value;
        public int? Whole;
        public decimal? Systolic;
        public decimal? Diastolic;
        public string? Unit;
    }

    /// <summary>value[x] into the metric's value and unit; null when it was read, else the skip or refusal.</summary>
    private static FhirEntryResult? Value(Observation observation, string path, ref Measured measured, int? entry)
    {
        var valuePath = new LazyFhirPath(path, ".value");
        switch (observation.Value)
        {
            case null when observation.DataAbsentReason is { } absent:
                return FhirEntryResult.Skipped(entry, path, $"The value is absent (dataAbsentReason {DescribeCodings(absent)}).");
            case null when observation.Component.Count > 0:
                return FhirEntryResult.Refused(entry, valuePath, "A value is required; components are read only for blood pressure panels (85354-9, 55284-4, MDC 150020).");
            case null:
                return FhirEntryResult.Refused(entry, valuePath, "A value (valueQuantity) or a dataAbsentReason is required.");
            case Quantity quantity:
                var refusal = Quantity(quantity, valuePath, entry, path, out var number, out var unit);
                if (refusal is not null)
                {
                    return refusal;
                }

                measured.Value = number;
                measured.Unit = unit;
                return null;
            case Integer integer when integer.Value is { } whole:
                measured.Whole = whole;
                return null;
            case Integer:
                return FhirEntryResult.Refused(entry, valuePath, "valueInteger has no value.");
            default:
                return FhirEntryResult.Skipped(entry, path, $"value[x] of type {observation.Value.TypeName} is not supported: Twine metrics take a valueQuantity (or valueInteger).");
        }
    }

    private static FhirEntryResult? Quantity(Quantity quantity, LazyFhirPath valuePath, int? entry, string path, out decimal number, out string unit)
    {
        number = 0;
        unit = "";
        if (quantity.Comparator is { } comparator)
        {
            return FhirEntryResult.Skipped(entry, path, $"The value has a comparator ({ComparatorCode(comparator)}): Twine metrics carry exact values.");
        }

        if (quantity.Value is not { } value)
        {
            return FhirEntryResult.Refused(entry, $"{valuePath}.value", "The quantity has no value.");
        }

        if (quantity.System != FhirSystems.Ucum)
        {
            return FhirEntryResult.Refused(entry, $"{valuePath}.system",
                $"The quantity's unit must be a UCUM code (system {FhirSystems.Ucum}); units are carried as sent, never converted.");
        }

        if (string.IsNullOrWhiteSpace(quantity.Code))
        {
            return FhirEntryResult.Refused(entry, $"{valuePath}.code", "The quantity has no UCUM code.");
        }

        number = value;
        unit = quantity.Code;
        return null;
    }

    /// <summary>A blood pressure panel: systolic and diastolic components into the metric's systolic, diastolic and unit.</summary>
    private static FhirEntryResult? BloodPressure(Observation observation, string path, ref Measured measured, int? entry)
    {
        if (observation.Value is null && observation.DataAbsentReason is { } absent)
        {
            return FhirEntryResult.Skipped(entry, path, $"The value is absent (dataAbsentReason {DescribeCodings(absent)}).");
        }

        int? systolic = null, diastolic = null;
        for (var i = 0; i < observation.Component.Count; i++)
        {
            var codings = observation.Component[i].Code?.Coding ?? [];
            if (systolic is null && codings.Any(c => FhirCodeMap.IsSystolic(c.System, c.Code)))
            {
                systolic = i;
            }
            else if (diastolic is null && codings.Any(c => FhirCodeMap.IsDiastolic(c.System, c.Code)))
            {
                diastolic = i;
            }
        }

        if (systolic is null || diastolic is null)
        {
            return FhirEntryResult.Refused(entry, $"{path}.component",
                $"A blood pressure panel needs a {(systolic is null ? "systolic (8480-6)" : "diastolic (8462-4)")} component.");
        }

        var units = new string[2];
        var values = new decimal[2];
        var index = 0;
        foreach (var i in (int[])[systolic.Value, diastolic.Value])
        {
            var component = observation.Component[i];
            var componentPath = $"{path}.component[{i}]"; // blood pressure panels only
            switch (component.Value)
            {
                case null when component.DataAbsentReason is { } componentAbsent:
                    return FhirEntryResult.Skipped(entry, path, $"The {(index == 0 ? "systolic" : "diastolic")} value is absent (dataAbsentReason {DescribeCodings(componentAbsent)}).");
                case Quantity quantity:
                    if (Quantity(quantity, new LazyFhirPath(componentPath, ".value"), entry, path, out values[index], out units[index]) is { } refusal)
                    {
                        return refusal;
                    }

                    break;
                default:
                    return FhirEntryResult.Refused(entry, $"{componentPath}.value", "A blood pressure component needs a valueQuantity (or a dataAbsentReason).");
            }

            index++;
        }

        if (units[0] != units[1])
        {
            return FhirEntryResult.Refused(entry, $"{path}.component[{diastolic}].value.code", "The systolic and diastolic units differ; the app does not convert units.");
        }

        measured.Systolic = values[0];
        measured.Diastolic = values[1];
        measured.Unit = units[0];
        return null;
    }

    /// <summary>effective[x] as an ISO 8601 timestamp with seconds and an offset (Twine's occurred_at), keeping the sender's offset.</summary>
    public static bool TryOccurredAt(DataType? effective, string path, out string? occurredAt, out string? refusedAt, out string? reason)
    {
        var read = TryOccurredAt(effective, new LazyFhirPath(path, ""), out var at, out refusedAt, out reason);
        occurredAt = read ? at.ToString(MappedMetric.OccurredAtFormat, CultureInfo.InvariantCulture) : null;
        return read;
    }

    private static bool TryOccurredAt(DataType? effective, LazyFhirPath path, out DateTimeOffset occurredAt, out string? refusedAt, out string? reason)
    {
        occurredAt = default;
        refusedAt = reason = null;
        string? text;
        switch (effective)
        {
            case FhirDateTime dateTime:
                text = dateTime.Value;
                break;
            case Instant instant:
                text = instant.Value is { } value ? value.ToString(MappedMetric.OccurredAtFormat, CultureInfo.InvariantCulture) : null;
                break;
            case Period period:
                path = path.Then(".start");
                text = period.Start;
                if (text is null)
                {
                    (refusedAt, reason) = (path, "effectivePeriod needs a start (the metric's occurred_at is the period's start).");
                    return false;
                }

                break;
            case null:
                (refusedAt, reason) = (path, "effective[x] is required: effectiveDateTime, effectiveInstant or effectivePeriod.start.");
                return false;
            default:
                (refusedAt, reason) = (path, $"effective[x] of type {effective.TypeName} is not supported: send effectiveDateTime, effectiveInstant or effectivePeriod.");
                return false;
        }

        if (TryReadCommon(text, out occurredAt))
        {
            return true;
        }

        if (string.IsNullOrEmpty(text))
        {
            (refusedAt, reason) = (path, "The effective time has no value.");
            return false;
        }

        if (PartialDate().IsMatch(text))
        {
            (refusedAt, reason) = (path, "The effective time is a partial date (a year or a year and month); Twine needs a date and a time.");
            return false;
        }

        if (DateOnly().IsMatch(text))
        {
            (refusedAt, reason) = (path, "The effective time is a date without a time; Twine needs a date and a time.");
            return false;
        }

        var match = FullDateTime().Match(text);
        var fraction = match.Groups["fraction"].Value;
        var normalized = match.Success
            ? $"{match.Groups["date"].Value}T{match.Groups["time"].Value}{(fraction.Length > 8 ? fraction[..8] : fraction)}{(match.Groups["zone"].Value == "Z" ? "+00:00" : match.Groups["zone"].Value)}"
            : null;
        if (normalized is null || !DateTimeOffset.TryParseExact(normalized, OccurredAtFormats,
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            (refusedAt, reason) = (path, "The effective time must be a date and a time with seconds and a time zone.");
            return false;
        }

        occurredAt = parsed;
        return true;
    }

    private static readonly string[] OccurredAtFormats = ["yyyy-MM-dd'T'HH:mm:sszzz", MappedMetric.OccurredAtFormat];

    /// <summary>
    /// The shape nearly every sender uses, read without the regexes and the format parse above: yyyy-MM-ddTHH:mm:ss,
    /// at most seven fraction digits, Z or ±hh:mm, ASCII digits, a date and offset that exist. False for anything
    /// else, which the rules above then decide as before; what this reads, they would have read the same.
    /// </summary>
    private static bool TryReadCommon(string? text, out DateTimeOffset value)
    {
        value = default;
        if (text is not { Length: >= 20 } || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':'
            || !Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
            || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long ticks = 0;
        if (text[i] == '.')
        {
            var start = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i]) && i - start < 7)
            {
                ticks = (ticks * 10) + (text[i++] - '0');
            }

            if (i == start || (i < text.Length && char.IsAsciiDigit(text[i])))
            {
                return false;
            }

            for (var digits = i - start; digits < 7; digits++)
            {
                ticks *= 10;
            }
        }

        var offset = TimeSpan.Zero;
        if (text.Length - i == 6 && text[i] is '+' or '-' && text[i + 3] == ':' && Digits(text, i + 1, 2, out var offsetHours) && Digits(text, i + 4, 2, out var offsetMinutes)
            && offsetMinutes < 60 && offsetHours * 60 + offsetMinutes <= 14 * 60)
        {
            offset = new TimeSpan(offsetHours, offsetMinutes, 0) * (text[i] == '-' ? -1 : 1);
        }
        else if (!(text.Length - i == 1 && text[i] == 'Z'))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > System.DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var local = new System.DateTime(year, month, day, hour, minute, second).AddTicks(ticks);
        var utc = local.Ticks - offset.Ticks;
        if (utc < System.DateTime.MinValue.Ticks || utc > System.DateTime.MaxValue.Ticks)
        {
            return false; // 0001-01-01T00:00:00+01:00: before the first instant a DateTimeOffset holds
        }

        value = new DateTimeOffset(local, offset);
        return true;
    }

    private static bool Digits(string text, int start, int count, out int number)
    {
        number = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }

            number = (number * 10) + (text[i] - '0');
        }

        return true;
    }

    /// <summary>
    /// The codings' one mapping (the LOINC one when there is one), without LINQ; null when no coding is mapped, or when
    /// they map to different Twine metric types (<paramref name="conflicting"/>).
    /// </summary>
    private static FhirCodeMapping? MappingOf(CodeableConcept? code, out bool conflicting)
    {
        conflicting = false;
        FhirCodeMapping? first = null, loinc = null;
        foreach (var coding in code?.Coding ?? [])
        {
            if (FhirCodeMap.Find(coding.System, coding.Code) is not { } found)
            {
                continue;
            }

            if (first is not null && !string.Equals(first.MetricType, found.MetricType, StringComparison.Ordinal))
            {
                conflicting = true;
                return null;
            }

            first ??= found;
            if (loinc is null && found.System == FhirSystems.Loinc)
            {
                loinc = found;
            }
        }

        return loinc ?? first;
    }

    private static string DescribeCodings(CodeableConcept? concept)
    {
        var codings = concept?.Coding ?? [];
        return codings.Count == 0 ? "no codings" : string.Join(", ", codings.Take(5).Select(c => $"{c.System ?? "no system"}|{c.Code ?? "no code"}"));
    }

    private static string StatusCode(ObservationStatus status) => status switch
    {
        ObservationStatus.Registered => "registered",
        ObservationStatus.Preliminary => "preliminary",
        ObservationStatus.Cancelled => "cancelled",
        ObservationStatus.EnteredInError => "entered-in-error",
        ObservationStatus.Unknown => "unknown",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static string ComparatorCode(Quantity.QuantityComparator comparator) => comparator switch
    {
        Hl7.Fhir.Model.Quantity.QuantityComparator.LessThan => "<",
        Hl7.Fhir.Model.Quantity.QuantityComparator.LessOrEqual => "<=",
        Hl7.Fhir.Model.Quantity.QuantityComparator.GreaterOrEqual => ">=",
        Hl7.Fhir.Model.Quantity.QuantityComparator.GreaterThan => ">",
        _ => comparator.ToString(),
    };
}

/// <summary>
/// A FHIRPath joined only when it is reported: a refusal names it, a delivered metric never does, so the mapping does
/// not build a string per element for every Observation.
/// </summary>
internal readonly struct LazyFhirPath(string head, string tail)
{
    public LazyFhirPath Then(string more) => new(head, tail + more);

    public override string ToString() => head + tail;

    public static implicit operator string(LazyFhirPath path) => path.ToString();
}
