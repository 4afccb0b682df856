using System.Globalization;
using System.Text.Json.Nodes;
using CsCheck;
using static Twine.Functions.Tests.Fhir.FhirFixtures;
using Twine.Functions.Fhir;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// Generated Observations and Bundles (valid, boundary and broken, element by element): the reader never throws,
/// a request is refused as a whole or answers every entry exactly once, refusals name an element under their entry,
/// and what is delivered passes the app's own MetricsRequestReader. Seeds as in the edge contract properties: a fixed
/// one and a fresh one (replay with the environment variable CsCheck_Seed).
/// </summary>
public sealed class FhirObservationProperties
{
    private static readonly string FixedSeed = new PCG(12, 20261204).ToString();

    public static TheoryData<string> Seeds()
    {
        var fresh = Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString();
        return new TheoryData<string>(FixedSeed, fresh);
    }

    private static readonly FhirCodeMapping[] Rows = [.. FhirCodeMap.Rows];

    private static Gen<T> Any<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static readonly Gen<string> Status = Gen.Frequency(
        (12, Gen.Const("final")), (2, Any("amended", "corrected")),
        (2, Any("preliminary", "registered", "cancelled", "entered-in-error", "unknown")), (1, Gen.Const("done")));

    private static readonly Gen<JsonObject> Code = Gen.Frequency(
        (10, Gen.Int[0, Rows.Length - 1].Select(i => new JsonObject { ["coding"] = new JsonArray(Coding(Rows[i].System, Rows[i].Code)) })),
        (2, Gen.Int[0, Rows.Length - 1].Select(Gen.Int[0, Rows.Length - 1], (i, j) => new JsonObject
        {
            ["coding"] = new JsonArray(Coding(Rows[i].System, Rows[i].Code), Coding(Rows[j].System, Rows[j].Code)),
        })),
        (2, Any("8302-2", "85353-1", "99999-9").Select(c => new JsonObject { ["coding"] = new JsonArray(Coding("http://loinc.org", c)) })),
        (1, Gen.Const(0).Select(_ => new JsonObject { ["text"] = "glucose, fasting" })));

    private static readonly Gen<decimal> Number = Gen.Frequency(
        (10, Gen.Int[-100, 100_000].Select(i => i / 100m)),
        (1, Any(0m, 79228162514264337593543950335m, -0.000000001m)));

    private static readonly Gen<JsonObject> QuantityGen = Gen.Frequency(
        (12, Number.Select(Any("mm[Hg]", "kg", "[lb_av]", "/min", "Cel", "%", "mg/dL", "mmol/L"), (n, u) => Quantity(n, u))),
        (1, Number.Select(n => new JsonObject { ["value"] = n, ["unit"] = "lbs" })),
        (1, Number.Select(n => { var q = Quantity(n, "mg/dL"); q["comparator"] = "<"; return q; })),
        (1, Gen.Const(0).Select(_ => new JsonObject { ["unit"] = "kg", ["system"] = "http://unitsofmeasure.org", ["code"] = "kg" })));

    private static readonly Gen<Action<JsonObject>> Value = Gen.Frequency(
        (12, QuantityGen.Select(q => (Action<JsonObject>)(o => o["valueQuantity"] = q))),
        (1, Gen.Int[0, 10].Select(i => (Action<JsonObject>)(o => o["valueInteger"] = i))),
        (1, Gen.Const((Action<JsonObject>)(o => o["valueString"] = "normal"))),
        (1, Gen.Const((Action<JsonObject>)(o => o["dataAbsentReason"] = DataAbsent()))),
        (1, Gen.Const((Action<JsonObject>)(_ => { }))),
        (3, QuantityGen.Select(QuantityGen, Gen.Int[0, 4], (s, d, shape) => (Action<JsonObject>)(o =>
        {
            var components = new JsonArray();
            if (shape != 1)
            {
                components.Add(new JsonObject { ["code"] = new JsonObject { ["coding"] = new JsonArray(Coding("http://loinc.org", "8480-6")) }, ["valueQuantity"] = s });
            }

            if (shape != 2)
            {
                var diastolic = new JsonObject { ["code"] = new JsonObject { ["coding"] = new JsonArray(Coding("urn:iso:std:iso:11073:10101", "150022")) } };
                if (shape == 3)
                {
                    diastolic["dataAbsentReason"] = DataAbsent("error");
                }
                else
                {
                    diastolic["valueQuantity"] = d;
                }

                components.Add(diastolic);
            }

            o["component"] = components;
        }))));

    private static readonly Gen<string> Offset = Any("Z", "+00:00", "-05:00", "+14:00", "-12:00", "+05:30");

    private static readonly Gen<string> DateTimeText = Gen.Frequency(
        (10, Gen.Int[1900, 2100].Select(Gen.Int[1, 12], Gen.Int[1, 28], Gen.Int[0, 86399], Gen.Int[0, 3], Offset, (y, m, d, s, f, z) =>
            string.Create(CultureInfo.InvariantCulture, $"{y:D4}-{m:D2}-{d:D2}T{s / 3600:D2}:{s / 60 % 60:D2}:{s % 60:D2}{(f == 0 ? "" : "." + new string('7', f * 3))}{z}"))),
        (1, Any("2026", "2026-11", "2026-11-30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00")));

    private static readonly Gen<Action<JsonObject>> Effective = Gen.Frequency(
        (10, DateTimeText.Select(t => (Action<JsonObject>)(o => o["effectiveDateTime"] = t))),
        (2, DateTimeText.Select(t => (Action<JsonObject>)(o => o["effectivePeriod"] = new JsonObject { ["start"] = t }))),
        (1, Gen.Const((Action<JsonObject>)(o => o["effectivePeriod"] = new JsonObject { ["end"] = "2026-11-30T10:00:00Z" }))),
        (1, Gen.Const((Action<JsonObject>)(o => o["effectiveInstant"] = "2026-11-30T10:00:00.5Z"))),
        (1, Gen.Const((Action<JsonObject>)(_ => { }))));

    private static readonly Gen<Action<JsonObject>> Subject = Gen.Frequency(
        (8, Gen.Const((Action<JsonObject>)(o => o["subject"] = SubjectByIdentifier()))),
        (2, Gen.Const((Action<JsonObject>)(o => o["subject"] = new JsonObject { ["reference"] = "Patient/p-1" }))),
        (1, Gen.Const((Action<JsonObject>)(o => o["subject"] = SubjectByIdentifier("x", "http://unmapped.example.org")))),
        (1, Gen.Const((Action<JsonObject>)(o => { o["contained"] = new JsonArray(Patient("c1")); o["subject"] = new JsonObject { ["reference"] = "#c1" }; }))),
        (1, Gen.Const((Action<JsonObject>)(o => o["subject"] = new JsonObject { ["reference"] = "#nobody" }))),
        (1, Gen.Const((Action<JsonObject>)(o => o["subject"] = new JsonObject { ["reference"] = "https://elsewhere.example.org/fhir/Patient/1" }))),
        (1, Gen.Const((Action<JsonObject>)(_ => { }))));

    /// <summary>Rarely, something the parser refuses: an unknown element, a wrong type, an empty string.</summary>
    private static readonly Gen<Action<JsonObject>> Damage = Gen.Frequency(
        (40, Gen.Const((Action<JsonObject>)(_ => { }))),
        (1, Gen.Const((Action<JsonObject>)(o => o["vendorScore"] = 1))),
        (1, Gen.Const((Action<JsonObject>)(o => o["status"] = 1))),
        (1, Gen.Const((Action<JsonObject>)(o => o["issued"] = ""))));

    public static readonly Gen<JsonObject> ObservationGen =
        Status.Select(Code, Value, Effective, Subject, Damage, (status, code, value, effective, subject, damage) =>
        {
            var observation = new JsonObject { ["resourceType"] = "Observation", ["status"] = status, ["code"] = code };
            value(observation);
            effective(observation);
            subject(observation);
            damage(observation);
            return observation;
        });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_Observation_gets_exactly_one_result_and_what_is_delivered_passes_the_metrics_reader(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"FhirObservationProperties seed: {seed}");
        var delivered = 0;
        ObservationGen.Sample(observation =>
        {
            var request = ReadObservation(observation);
            if (request.Failure is { } failure)
            {
                Assert.Empty(request.Entries);
                Assert.True(failure.StatusCode is 400 or 422, $"status {failure.StatusCode}");
                Assert.NotEmpty(failure.Issues);
                return;
            }

            var entry = Assert.Single(request.Entries);
            Assert.Equal(entry.Outcome == FhirEntryOutcome.Delivered, entry.Metric is not null);
            Assert.StartsWith("Observation", entry.Expression, StringComparison.Ordinal);
            if (entry.Outcome != FhirEntryOutcome.Delivered)
            {
                Assert.False(string.IsNullOrWhiteSpace(entry.Reason));
                return;
            }

            Interlocked.Increment(ref delivered);
            AssertMetricsReaderAccepts(request);
        }, seed: seed, iter: 2000, threads: 1);

        Assert.InRange(delivered, 200, 1800);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_Bundle_entry_gets_exactly_one_result_under_its_own_path(string seed)
    {
        var bundles = Gen.Int[0, 3].Select(ObservationGen.Array[1, 12], Any("batch", "transaction", "collection"), (patients, observations, type) =>
        {
            var entries = new List<JsonObject>();
            for (var i = 0; i < patients; i++)
            {
                entries.Add(Entry(Patient($"p-{i}", $"MRN-{i}"), $"urn:uuid:00000000-0000-4000-8000-00000000000{i}"));
            }

            for (var i = 0; i < observations.Length; i++)
            {
                if (i % 3 == 1)
                {
                    observations[i]["subject"] = new JsonObject { ["reference"] = $"urn:uuid:00000000-0000-4000-8000-00000000000{i % 5}" };
                }

                entries.Add(Entry(observations[i]));
            }

            return Bundle(type, [.. entries]);
        });

        bundles.Sample(bundle =>
        {
            var count = bundle["entry"]!.AsArray().Count;
            var request = ReadBundle(bundle);
            if (request.Failure is not null)
            {
                Assert.Empty(request.Entries);
                return;
            }

            Assert.Equal(count, request.Entries.Count);
            for (var i = 0; i < count; i++)
            {
                Assert.Equal(i, request.Entries[i].Entry);
                Assert.StartsWith($"Bundle.entry[{i}]", request.Entries[i].Expression, StringComparison.Ordinal);
            }

            if (request.Delivered > 0)
            {
                AssertMetricsReaderAccepts(request);
            }
        }, seed: seed, iter: 300, threads: 1);
    }
}
