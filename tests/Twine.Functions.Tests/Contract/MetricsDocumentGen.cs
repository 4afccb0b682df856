using System.Globalization;
using System.Text;
using CsCheck;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Contract;

/// <summary>
/// Generates POST /api/metrics bodies as raw JSON text (so that what JsonNode cannot hold — <c>1e400</c>, lone
/// surrogate escapes, duplicate members — can be generated too): mostly valid documents, boundary ones (depth at the
/// limit, 100 and 101 metrics per message, the largest finite doubles, far-off dates) and hostile ones (everything a
/// careless partner or an attacker sends). Written from the spec's rules, not from the app's validators.
/// </summary>
public static class MetricsDocumentGen
{
    private static readonly string[] MetricTypes = [.. MetricResourceValidator.MetricTypes];

    private static Gen<string> Quoted(Gen<string> text) => text.Select(t => "\"" + t + "\"");

    /// <summary>String contents, already JSON-escaped: plain, non-ASCII, escapes, and text that is not valid Unicode.</summary>
    public static readonly Gen<string> Text = Gen.Frequency(
        (20, Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-_ ."], 0, 24]),
        (3, Gen.OneOf(Gen.Const("café"), Gen.Const("日本語"), Gen.Const("🫀 heart"), Gen.Const("Zoë O'Brien"))),
        (2, Gen.OneOf(Gen.Const("line\\nbreak"), Gen.Const("tab\\t"), Gen.Const("nul\\u0000"), Gen.Const("quote\\\"d"), Gen.Const("\\u00e9"))),
        (1, Gen.OneOf(Gen.Const("\\ud800"), Gen.Const("a\\udc00b"), Gen.Const("\\ud83d"))),
        (1, Gen.Int[200, 3000].Select(n => new string('x', n))));

    /// <summary>Numbers as JSON tokens: ordinary, the extremes of a double, and tokens that overflow or underflow it.</summary>
    public static readonly Gen<string> Number = Gen.Frequency(
        (20, Gen.Double[-1000, 1000].Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (10, Gen.Int[-100, 400].Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (3, Gen.OneOf(Gen.Const("1.7976931348623157e308"), Gen.Const("-1.7976931348623157e308"), Gen.Const("5e-324"), Gen.Const("0"), Gen.Const("-0"))),
        (3, Gen.OneOf(Gen.Const("1e400"), Gen.Const("-1e309"), Gen.Const("1.8e308"), Gen.Const("1e-400"), Gen.Const("123456789012345678901234567890"))));

    /// <summary>Any JSON value, nesting up to about 70 levels (a chain of arrays or objects around a leaf).</summary>
    public static readonly Gen<string> Value = Gen.Frequency(
        (10, Number),
        (4, Quoted(Text)),
        (2, Gen.OneOf(Gen.Const("true"), Gen.Const("false"))),
        (3, Gen.Select(Gen.Int[1, 70], Gen.Bool, Number, (depth, objects, leaf) => Nest(depth, objects, leaf))),
        (2, Gen.Select(Gen.Int[28, 34], Number, (depth, leaf) => Nest(depth, objects: false, leaf))), // around the limit
        (2, Number.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
        (2, Gen.Select(Quoted(Text), Number, (k, v) => $"{{{k}:{v}}}")));

    private static string Nest(int depth, bool objects, string leaf)
    {
        var text = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            text.Append(objects ? "{\"v\":" : "[");
        }

        text.Append(leaf);
        for (var i = 0; i < depth; i++)
        {
            text.Append(objects ? '}' : ']');
        }

        return text.ToString();
    }

    /// <summary>RFC 3339 timestamps across the spec's range, and things that are not quite one.</summary>
    public static readonly Gen<string> Timestamp = Gen.Frequency(
        (20, Gen.Select(Gen.Int[1970, 2099], Gen.Int[1, 12], Gen.Int[1, 28], Gen.Int[0, 86399], Gen.Int[-14, 14],
            (y, mo, d, s, h) => $"\"{y:D4}-{mo:D2}-{d:D2}T{s / 3600:D2}:{s / 60 % 60:D2}:{s % 60:D2}{(h == 0 ? "Z" : $"{(h < 0 ? '-' : '+')}{Math.Abs(h):D2}:00")}\"")),
        (3, Gen.OneOf(Gen.Const("\"0001-01-01T00:00:00+14:00\""), Gen.Const("\"9999-12-31T23:59:59-14:00\""), Gen.Const("\"0001-01-01T00:00:00Z\""),
            Gen.Const("\"9999-12-31T23:59:59.9999999Z\""))),
        (3, Gen.OneOf(Gen.Const("\"2017-03-14\""), Gen.Const("\"2017-02-30T10:00:00Z\""), Gen.Const("\"2017-03-14T25:00:00Z\""), Gen.Const("\"yesterday\""),
            Gen.Const("1489489257"), Gen.Const("null"), Gen.Const("\"2017-03-14T10:00:00\""))));

    private static readonly Gen<string> MetricType = Gen.Frequency(
        (20, Gen.Int[0, MetricTypes.Length - 1].Select(i => $"\"{MetricTypes[i]}\"")),
        (2, Quoted(Text)),
        (1, Number));

    private static readonly Gen<string> Patient = Gen.Frequency(
        (10, Quoted(Text).Select(id => $"{{\"data\":{{\"type\":\"patient\",\"id\":{id}}}}}")),
        (5, Gen.Select(Quoted(Text), Quoted(Text), Gen.Bool, (system, value, withOrg) =>
            $"{{\"data\":{{\"type\":\"patient\",\"meta\":{{\"query\":{{\"identifier\":{{\"system\":{system},\"value\":{value}}}{(withOrg ? ",\"organization\":\"58c4554710123c5c40dbab81\"" : "")}}}}}}}}}")),
        (1, Gen.OneOf(Gen.Const("{}"), Gen.Const("{\"data\":null}"), Gen.Const("{\"data\":{\"type\":\"group\",\"id\":\"1\"}}"), Gen.Const("[]"))));

    /// <summary>One patient_health_metric resource; each member present, absent or wrong with some probability.</summary>
    public static readonly Gen<string> Metric =
        from type in Gen.Frequency((30, Gen.Const("\"patient_health_metric\"")), (1, Quoted(Text)), (1, Gen.Const("null")))
        from metricType in MetricType
        from occurredAt in Timestamp
        from value in Gen.Frequency((10, Value.Select(v => (string?)v)), (1, Gen.Const((string?)null)))
        from pressure in Gen.Frequency((5, Gen.Const((string?)null)), (2, Gen.Select(Number, Number, (s, d) => (string?)$"\"systolic\":{s},\"diastolic\":{d}")))
        from unit in Gen.Frequency((5, Quoted(Text).Select(u => (string?)u)), (1, Gen.Const((string?)null)), (1, Number.Select(n => (string?)n)))
        from code in Gen.Frequency((5, Gen.Const((string?)null)), (3, Gen.Select(Quoted(Text), Quoted(Text), (s, v) => (string?)$"{{\"system\":{s},\"value\":{v}}}")), (1, Value.Select(v => (string?)v)))
        from extraAttribute in Gen.Frequency((8, Gen.Const((string?)null)), (1, Value.Select(v => (string?)$"\"extra\":{v}")))
        from patient in Gen.Frequency((20, Patient.Select(p => (string?)p)), (1, Gen.Const((string?)null)))
        from extraMember in Gen.Frequency((10, Gen.Const((string?)null)), (1, Gen.OneOf(Gen.Const((string?)"\"id\":\"abc\""), Gen.Const((string?)"\"links\":{\"self\":\"x\"}"), Gen.Const((string?)"\"type\":\"patient_health_metric\""))))
        select Resource(type, metricType, occurredAt, value, pressure, unit, code, extraAttribute, patient, extraMember);

    private static string Resource(string type, string metricType, string occurredAt, string? value, string? pressure, string? unit, string? code,
        string? extraAttribute, string? patient, string? extraMember)
    {
        var attributes = new List<string> { $"\"type\":{metricType}", $"\"occurred_at\":{occurredAt}" };
        if (value is not null) attributes.Add($"\"value\":{value}");
        if (pressure is not null) attributes.Add(pressure);
        if (unit is not null) attributes.Add($"\"unit\":{unit}");
        if (code is not null) attributes.Add($"\"code\":{code}");
        if (extraAttribute is not null) attributes.Add(extraAttribute);
        var members = new List<string> { $"\"type\":{type}", $"\"attributes\":{{{string.Join(",", attributes)}}}" };
        if (patient is not null) members.Add($"\"relationships\":{{\"patient\":{patient}}}");
        if (extraMember is not null) members.Add(extraMember);
        return "{" + string.Join(",", members) + "}";
    }

    /// <summary>A resource that follows every rule, with values from plain numbers to nesting at the depth limit.</summary>
    public static readonly Gen<string> ValidMetric =
        from metricType in Gen.Int[0, MetricTypes.Length - 1]
        from second in Gen.Int[0, 86399]
        from value in Gen.Frequency((10, Gen.Double[0, 500].Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
            (1, Gen.Int[0, 30].Select(depth => Nest(depth, objects: false, "1"))), (1, Gen.Const("1.7976931348623157e308")))
        from patient in Gen.String[Gen.Char["0123456789abcdef"], 24, 24]
        select $"{{\"type\":\"patient_health_metric\",\"attributes\":{{\"type\":\"{MetricTypes[metricType]}\",\"occurred_at\":\"2026-11-{1 + second % 28:D2}T{second / 3600:D2}:{second / 60 % 60:D2}:{second % 60:D2}Z\",\"value\":{value}}},\"relationships\":{{\"patient\":{{\"data\":{{\"type\":\"patient\",\"id\":\"{patient}\"}}}}}}}}";

    /// <summary>A whole request body: one resource or an array (up to 130 metrics, so several queue messages), with or without meta.</summary>
    public static readonly Gen<string> Document =
        from shape in Gen.Frequency((6, Gen.Const("array")), (3, Gen.Const("single")), (1, Gen.Const("many")), (2, Gen.Const("valid")), (1, Gen.Const("odd")))
        from metrics in shape switch
        {
            "many" => Metric.Array[90, 130],
            "valid" => ValidMetric.Array[1, 250],
            "array" => Metric.Array[1, 6],
            _ => Metric.Array[1, 1],
        }
        from meta in Gen.Frequency((8, Gen.Const("")), (2, Gen.Bool.Select(b => $",\"meta\":{{\"ignore_duplicates\":{(b ? "true" : "false")}}}")),
            (1, Gen.Const(",\"meta\":{\"other\":1}")), (1, Gen.Const(",\"extra\":true")))
        select shape switch
        {
            "single" => $"{{\"data\":{metrics[0]}{meta}}}",
            "odd" => $"{{\"data\":[]{meta}}}",
            _ => $"{{\"data\":[{string.Join(",", metrics)}]{meta}}}",
        };
}
