using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Twine.Functions.Fhir;
using static Twine.Functions.Tests.Fhir.FhirFixtures;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// <see cref="FhirObservationMapper"/> maps to typed metrics (written straight into their queue bytes) instead of JSON
/// trees: on generated valid and broken Observations it must answer exactly as <see cref="PreviousObservationMapper"/>,
/// the mapper as it was: the same outcome, FHIRPath and reason, and a metric with the same JSON, byte for byte.
/// </summary>
public sealed class FhirObservationMapperOracleTests
{
    private static readonly FhirJsonDeserializer Unvalidated = new(new DeserializerSettings { Validator = null });
    private static readonly string FixedSeed = new PCG(67, 20261205).ToString();

    public static TheoryData<string> Seeds()
    {
        var fresh = Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString();
        return new TheoryData<string>(FixedSeed, fresh);
    }

    private static Gen<T> Any<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    // Effective times the unvalidated parse keeps as sent: well-formed, boundary and broken, for occurred_at's normalisation.
    private static readonly Gen<string> Time = Gen.Frequency(
        (10, Gen.Int[0, 9999].Select(Gen.Int[0, 13], Gen.Int[0, 32], Gen.Int[0, 90000], Gen.Int[0, 10], Any("Z", "+00:00", "-05:00", "+14:00", "-14:00", "+14:01", "+05:30", "-00:00", "+1:00", "z", ""),
            (y, m, d, s, f, z) => string.Create(CultureInfo.InvariantCulture,
                $"{y:D4}-{m:D2}-{d:D2}T{s / 3600:D2}:{s / 60 % 60:D2}:{s % 60:D2}{(f == 0 ? "" : "." + new string((char)('0' + f % 10), f))}{z}"))),
        (1, Any("2026", "2026-11", "2026-11-30", "2026-11-30T08:15Z", "2026-11-30T08:15:00.Z", "2026-11-30 08:15:00Z", "26-11-30T08:15:00Z",
            "2026-11-30T08:15:00.123456789123+01:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-11-30T24:00:00Z",
            "2026-11-30T08:15:00+00:00\n", "\u0661\u0669\u0669\u0660-01-01T00:00:00Z", "")));

    private static readonly Gen<Action<JsonObject>> Effective = Gen.Frequency(
        (4, Time.Select(t => (Action<JsonObject>)(o => o["effectiveDateTime"] = t))),
        (1, Time.Select(t => (Action<JsonObject>)(o => o["effectivePeriod"] = new JsonObject { ["start"] = t }))),
        (1, Time.Select(t => (Action<JsonObject>)(o => o["effectiveInstant"] = t))));

    private static readonly Gen<JsonObject> Observations = Gen.Frequency(
        (2, FhirObservationProperties.ObservationGen),
        (1, FhirObservationProperties.ObservationGen.Select(Effective, (o, effective) =>
        {
            o.Remove("effectiveDateTime");
            o.Remove("effectivePeriod");
            o.Remove("effectiveInstant");
            effective(o);
            return o;
        })));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_mapper_answers_as_the_previous_mapper(string seed)
    {
        var partner = Partner();
        var patients = new FhirBundlePatients();
        patients.Add("urn:uuid:0", (Patient)Parse(Bytes(FhirFixtures.Patient("p-1")))!, "Bundle.entry[0].resource");
        var delivered = 0;
        Observations.Select(Gen.Bool).Sample((json, inBundle) =>
        {
            if (Parse(Bytes(json)) is not Observation observation)
            {
                return;
            }

            var (path, entry, known) = inBundle ? ("Bundle.entry[2].resource", (int?)2, patients) : ("Observation", null, FhirBundlePatients.None);
            // The unvalidated parse keeps what the app never maps (a status 'done' throws when read): both must throw alike.
            var expected = Answer(() => PreviousObservationMapper.Map(observation, path, partner, known, entry));
            var actual = Answer(() => FhirObservationMapper.Map(observation, path, partner, known, entry));
            Assert.Equal(expected.Thrown, actual.Thrown);
            if (expected.Result is not { } previous)
            {
                return;
            }

            AssertSame(previous, actual.Result!);
            if (previous.Metric is not null)
            {
                Interlocked.Increment(ref delivered);
            }
        }, seed: seed, iter: 3_000, threads: 1);

        Assert.InRange(delivered, 300, 3_000);
    }

    private static (T? Result, string? Thrown) Answer<T>(Func<T> map)
        where T : class
    {
        try
        {
            return (map(), null);
        }
        catch (Exception e)
        {
            return (null, e.GetType().FullName);
        }
    }

    private static void AssertSame(PreviousEntryResult expected, FhirEntryResult actual)
    {
        Assert.Equal((expected.Entry, expected.Outcome, expected.Expression, expected.Reason), (actual.Entry, actual.Outcome, actual.Expression, actual.Reason));
        Assert.Equal(expected.Metric?.ToJsonString(), actual.Metric?.ToJsonString());
    }

    private static Resource? Parse(byte[] body)
    {
        try
        {
            // Issues or not: the mapper must answer for whatever the parse built.
            var reader = new Utf8JsonReader(body);
            Unvalidated.TryDeserializeResource(ref reader, out var resource, out _);
            return resource;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or DeserializationFailedException)
        {
            return null;
        }
    }
}
