using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Twine.Functions.Fhir;
using Twine.Functions.Metrics;
using static Twine.Functions.Tests.Fhir.FhirFixtures;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// <see cref="MetricsRequestReader.ReadMapped"/> (the FHIR route's metrics, read without serialising a document and
/// reading it again) answers exactly what <see cref="MetricsRequestReader.Read"/> answers on that document: the same
/// queue messages byte for byte, the same count, the same problems and pointers.
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
        AssertSameAnswer([ValidMetric(), node]);
    }

    private static JsonNode ValidMetric() => ReadObservation(Observation()).DeliveredMetrics()[0].DeepClone();

    private static void AssertSameAnswer(IReadOnlyList<JsonNode> metrics)
    {
        var document = new JsonObject { ["data"] = new JsonArray([.. metrics.Select(m => m.DeepClone())]) };
        var expected = MetricsRequestReader.Read(JsonSerializer.SerializeToUtf8Bytes(document));
        var actual = MetricsRequestReader.ReadMapped(metrics);

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
