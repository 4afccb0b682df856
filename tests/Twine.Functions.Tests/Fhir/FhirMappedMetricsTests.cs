using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Twine.Functions.Fhir;
using Twine.Functions.Metrics;
using static Twine.Functions.Tests.Fhir.FhirFixtures;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// <see cref="MetricsRequestReader.ReadMapped(IReadOnlyList{MappedMetric})"/> (the FHIR route's metrics, written straight
/// into their queue bytes when they pass the rules) and <see cref="MetricsRequestReader.ReadMapped(IReadOnlyList{JsonNode})"/>
/// (their JSON, written once as a document and read) answer exactly what <see cref="MetricsRequestReader.Read"/> answers
/// on that document: the same queue messages byte for byte, the same count, the same problems and pointers.
/// </summary>
public sealed class FhirMappedMetricsTests
{
    private static readonly string FixedSeed = new PCG(41, 20261205).ToString();

    public static TheoryData<string> Seeds()
    {
        var fresh = Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString();
        return new TheoryData<string>(FixedSeed, fresh);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mapped_Observations_make_the_messages_the_JSON_API_reader_makes_of_their_document(string seed)
    {
        var compared = 0;
        FhirObservationProperties.ObservationGen.Array[1, 12].Sample(observations =>
        {
            var request = ReadBundle(Bundle("batch", [.. observations.Select(o => Entry(o))]));
            var metrics = request.DeliveredMetrics();
            if (metrics.Count == 0)
            {
                return;
            }

            Interlocked.Increment(ref compared);
            AssertSameAnswer(metrics);
            AssertSameAnswer([.. metrics.Select(m => (JsonNode)m.ToJsonObject())]);
        }, seed: seed, iter: 300, threads: 1);

        Assert.InRange(compared, 30, 300);
    }

    /// <summary>Rule breakers, and a valid metric whose text the queue's encoder writes differently from the default one.</summary>
    public static TheoryData<string> BrokenMetrics() => new()
    {
        """{"type":"patient_health_metric","attributes":{"type":"blood_glucose","value":5.50,"unit":"\u00b5mol/L <x> & 'y'","occurred_at":"2026-11-30T08:15:00+14:00","code":{"system":"LOINC","value":"2339-0"}},"relationships":{"patient":{"data":{"id":"p\u6f22"}}}}""",
        """{"type":"patient_health_metric","attributes":{"type":"weight","value":1,"occurred_at":"yesterday"}}""",
        """{"type":"patient_health_metric","attributes":{"type":"steps","value":1,"occurred_at":"2026-11-30T08:15:00Z"},"relationships":{"patient":{"data":{"id":" "}}}}""",
        """{"type":"metric","attributes":{"type":"weight","unit":7,"occurred_at":"2026-11-30T08:15:00Z"},"relationships":{"patient":{"data":{"id":"p"}}}}""",
        """{"type":"patient_health_metric","attributes":{"type":"weight","value":"\u00e9\u6f22","note":"NOTE","occurred_at":"2026-11-30T08:15:00+14:00"},"relationships":{"patient":{"data":{"id":"p"}}}}""",
    };

    [Theory]
    [MemberData(nameof(BrokenMetrics))]
    public void A_metric_that_breaks_a_rule_or_needs_escaping_gets_the_same_answer(string metric)
    {
        var note = new string('x', 70_000);
        var node = JsonNode.Parse(metric.Replace("NOTE", note, StringComparison.Ordinal))!;
        AssertSameAnswer([ValidMetric().ToJsonObject(), node]);
    }

    private static MappedMetric ValidMetric() => ReadObservation(Observation()).DeliveredMetrics()[0];

    private static Gen<T> Any<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    // Mapped metrics as the mapper makes them, and with every field the rules read broken now and then.
    private static readonly Gen<string> Text = Gen.Frequency(
        (20, Any("kg", "mm[Hg]", "MRN-0042", "medical-record-number", "\u00b5mol/L <x> & 'y'", "p\u6f22", "\ud83d\ude00 ok")),
        (1, Any("", " ", "\t", "\ud800", "x\udc00", "\ud83d")),
        (1, Gen.Const(new string('x', 50_000))));

    // Any instant a DateTimeOffset holds, at any offset it allows, the ends of the range included.
    private static readonly Gen<DateTimeOffset> OccurredAt = Gen.Frequency(
        (10, Gen.Long[DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks].Select(Gen.Int[-14 * 60, 14 * 60], Gen.Int[0, 3], (ticks, minutes, round) =>
        {
            var offset = TimeSpan.FromMinutes(minutes);
            var local = Math.Clamp(ticks, Math.Max(DateTime.MinValue.Ticks, DateTime.MinValue.Ticks + offset.Ticks), Math.Min(DateTime.MaxValue.Ticks, DateTime.MaxValue.Ticks + offset.Ticks));
            local -= round switch { 0 => 0, 1 => local % TimeSpan.TicksPerSecond, 2 => local % TimeSpan.TicksPerMillisecond, _ => local % 10 };
            return new DateTimeOffset(new DateTime(local), offset);
        })),
        (1, Any(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(1, 1, 1, 14, 0, 0, TimeSpan.FromHours(14)),
            new DateTimeOffset(9999, 12, 31, 9, 59, 59, TimeSpan.FromHours(-14)).AddTicks(9_999_999), new DateTimeOffset(2026, 11, 30, 8, 15, 0, TimeSpan.FromMinutes(-90)))));

    private static readonly Gen<decimal?> Number = Gen.Frequency(
        (20, Gen.Int[-100, 100_000].Select(i => (decimal?)(i / 100m))),
        (1, Any<decimal?>(null, 79228162514264337593543950335m, -0.000000001m, 5.000m)));

    private static readonly Gen<MappedMetric> MetricGen =
        from type in Gen.Frequency((20, Any([.. MetricResourceValidator.MetricTypes])), (1, Any("steps", "", " ")))
        from code in Gen.Frequency((20, Any(("LOINC", "29463-7"), ("MDC", "150020"))), (1, Any(("", "1"), ("LOINC", " "), ("LOINC", "\udfff"))))
        from shape in Gen.Int[0, 3]
        from first in Number
        from second in Number
        from whole in Gen.Int
        from unit in Gen.Frequency((10, Text.Select(t => (string?)t)), (1, Gen.Const((string?)null)))
        from occurredAt in OccurredAt
        from system in Text
        from value in Text
        from organization in Gen.Frequency((10, Any((string?)"58c4554710123c5c40dbab81")), (1, Text.Select(t => (string?)t)), (1, Gen.Const((string?)null)))
        select new MappedMetric
        {
            MetricType = type,
            CodeSystem = code.Item1,
            CodeValue = Unescape(code.Item2),
            Value = shape == 0 ? first : null,
            WholeValue = shape == 1 ? whole : null,
            Systolic = shape >= 2 ? first : null,
            Diastolic = shape == 2 ? second : null,
            Unit = unit is null ? null : Unescape(unit),
            OccurredAt = occurredAt,
            Patient = new MetricPatientQuery(Unescape(system), Unescape(value), organization is null ? null : Unescape(organization)),
        };

    // The generators spell lone surrogates as JSON escapes, which C# string literals cannot hold unpaired.
    private static string Unescape(string text) => text.Contains('\\', StringComparison.Ordinal) ? JsonSerializer.Deserialize<string>($"\"{text}\"")! : text;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Typed_metrics_get_the_answer_the_JSON_API_reader_gives_their_document(string seed)
    {
        MetricGen.Array[1, 6].Sample(metrics => AssertSameAnswer(metrics), seed: seed, iter: 2_000, threads: 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(101)]
    [InlineData(1_000)]
    [InlineData(1_001)]
    public void Typed_metrics_get_the_same_answer_at_every_count(int count)
    {
        AssertSameAnswer([.. Enumerable.Repeat(ValidMetric(), count)]);
    }

    [Fact]
    public void An_entry_result_prints_no_patient_identifier_and_no_value()
    {
        var metric = ValidMetric();
        var printed = FhirEntryResult.Delivered(3, "Bundle.entry[3].resource", metric).ToString();

        Assert.Contains("Bundle.entry[3].resource", printed, StringComparison.Ordinal);
        Assert.DoesNotContain(metric.Patient.Value, printed, StringComparison.Ordinal);
        Assert.DoesNotContain("occurred_at", printed, StringComparison.Ordinal);
        Assert.DoesNotContain(metric.Patient.Value, metric.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_metrics_too_large_to_queue_get_the_same_answer()
    {
        var valid = ValidMetric();
        var huge = new MappedMetric
        {
            MetricType = valid.MetricType, CodeSystem = valid.CodeSystem, CodeValue = valid.CodeValue, Value = valid.Value, Unit = valid.Unit,
            OccurredAt = valid.OccurredAt, Patient = new MetricPatientQuery("medical-record-number", new string('x', 50_000), null),
        };
        AssertSameAnswer([valid, huge, valid, huge]);
    }

    /// <summary>Why <see cref="MappedMetric"/> does not ask the timestamp rule: its occurred_at always passes it.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_occurred_at_a_typed_metric_writes_is_a_timestamp_the_rules_take(string seed)
    {
        OccurredAt.Sample(at => Assert.True(Twine.Functions.Ingestions.JsonRules.IsTimestamp(at.ToString(MappedMetric.OccurredAtFormat, System.Globalization.CultureInfo.InvariantCulture)),
            at.ToString("O", System.Globalization.CultureInfo.InvariantCulture)), seed: seed, iter: 20_000, threads: 1);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_typed_metric_writes_the_bytes_of_its_JSON(string seed)
    {
        MetricGen.Sample(metric =>
        {
            var written = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(written, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                metric.WriteTo(writer);
            }

            var tree = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(tree, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                metric.ToJsonObject().WriteTo(writer);
            }

            Assert.Equal(Convert.ToBase64String(tree.WrittenSpan), Convert.ToBase64String(written.WrittenSpan));
        }, seed: seed, iter: 1_000, threads: 1);
    }

    /// <summary>
    /// The typed path answers as the path it replaced (their JSON through ReadMapped, which the tests above hold to
    /// Read on the document). Not Read itself for every generated metric: a lone surrogate is written as U+FFFD by the
    /// queue's encoder, so the JSON path takes what Read refuses in a body, and the typed path keeps that.
    /// </summary>
    private static void AssertSameAnswer(IReadOnlyList<MappedMetric> metrics)
    {
        var expected = Answer(() => MetricsRequestReader.ReadMapped([.. metrics.Select(m => (JsonNode)m.ToJsonObject())]));
        var actual = Answer(() => MetricsRequestReader.ReadMapped(metrics));
        Assert.Equal(expected.Failure, actual.Failure);
        if (expected.Request is { } request)
        {
            AssertSame(request, actual.Request!);
        }
    }

    // Some strings cannot be written at all (a lone surrogate): then both paths must fail the same way.
    private static (MetricsRequest? Request, string? Failure) Answer(Func<MetricsRequest> read)
    {
        try
        {
            return (read(), null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return (null, e.GetType().Name);
        }
    }

    private static void AssertSameAnswer(IReadOnlyList<JsonNode> metrics)
    {
        var document = new JsonObject { ["data"] = new JsonArray([.. metrics.Select(m => m.DeepClone())]) };
        var expected = MetricsRequestReader.Read(JsonSerializer.SerializeToUtf8Bytes(document));
        AssertSame(expected, MetricsRequestReader.ReadMapped(metrics));
    }

    private static void AssertSame(MetricsRequest expected, MetricsRequest actual)
    {
        Assert.Equal(expected.MetricCount, actual.MetricCount);
        Assert.Equal(expected.MalformedReason, actual.MalformedReason);
        Assert.Equal(expected.Errors.Select(e => $"{e.Pointer} {e.Detail}"), actual.Errors.Select(e => $"{e.Pointer} {e.Detail}"));
        Assert.Equal(expected.Plan is null, actual.Plan is null);
        if (expected.Plan is { } plan)
        {
            Assert.Equal(plan.Messages("0193a5b2c3d47e8f9a0b1c2d3e4f5a6b").Select(Convert.ToBase64String),
                actual.Plan!.Messages("0193a5b2c3d47e8f9a0b1c2d3e4f5a6b").Select(Convert.ToBase64String));
        }
    }
}
