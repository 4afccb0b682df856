using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Twine.Functions.Fhir;
using Twine.Functions.Tests.Hostile;
using static Twine.Functions.Tests.Fhir.FhirFixtures;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// The parse without Firely's validator plus <see cref="FhirModelChecks"/> must refuse whatever the validating parse
/// refused, with the same answer: one case per kind of check, every hostile-input FHIR body, and generated Observations
/// and Bundles broken in one place each, compared with <see cref="FhirResourceReader.ReadStrict"/> (the parse as it was).
/// </summary>
public sealed class FhirModelChecksTests
{
    private static readonly FhirJsonDeserializer Unvalidated = new(new DeserializerSettings { Validator = null });
    private static readonly FhirJsonSerializer Serializer = new();

    public static TheoryData<string, string> CheckKinds() => new()
    {
        { "unknown element", """{"vendorScore":7}""" },
        { "unknown element in a data type", """{"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min","precision":2}}""" },
        { "R5 element", """{"triggeredBy":[{"observation":{"reference":"Observation/1"},"type":"reflex"}]}""" },
        { "missing required element", """{"code":null}""" },
        { "missing required element in a data type", """{"component":[{"valueQuantity":{"value":1}}]}""" },
        { "invalid code", """{"status":"done"}""" },
        { "invalid code in a data type", """{"valueQuantity":{"value":1,"comparator":"~"}}""" },
        { "malformed dateTime", """{"effectiveDateTime":"2026-13-01T00:00:00Z"}""" },
        { "malformed instant", """{"issued":"2026-11-30"}""" },
        { "malformed uri", """{"category":[{"coding":[{"system":"urn:oid:1.2.x","code":"x"}]}]}""" },
        { "malformed id", """{"id":"not an id!"}""" },
        { "wrong choice type", """{"valueAddress":{"city":"Springfield"}}""" },
        { "wrong choice type in a component", """{"component":[{"code":{"text":"x"},"valueAnnotation":{"text":"y"}}]}""" },
        { "number for a code", """{"status":1}""" },
        { "string for a decimal", """{"valueQuantity":{"value":"72"}}""" },
        { "decimal for an integer", """{"valueQuantity":null,"valueInteger":1.5}""" },
        { "array for a single element", """{"code":[{"text":"x"}]}""" },
        { "object for a repeating element", """{"category":{"text":"x"}}""" },
        { "null in a repeating element", """{"category":[null,{"text":"x"}]}""" },
        { "empty string", """{"status":""}""" },
        { "unknown resource type in contained", """{"contained":[{"resourceType":"Vendor","id":"v1"}]}""" },
        { "nested contained", """{"contained":[{"resourceType":"Patient","id":"p1","contained":[{"resourceType":"Device","id":"d1"}]}]}""" },
        { "positiveInt zero", """{"referenceRange":[{"text":"x","age":{"low":{"value":1}}}],"component":[{"code":{"text":"x"},"valueSampledData":{"origin":{"value":0},"period":1,"dimensions":0}}]}""" },
    };

    [Theory]
    [MemberData(nameof(CheckKinds))]
    public void Each_kind_of_check_refuses_what_the_validating_parse_refused(string kind, string change)
    {
        var observation = Observation();
        foreach (var (name, value) in JsonNode.Parse(change)!.AsObject().ToList())
        {
            if (value is null)
            {
                observation.Remove(name);
            }
            else
            {
                observation[name] = value.DeepClone();
            }
        }

        var body = Bytes(observation);
        var strict = FhirResourceReader.ReadStrict(body);
        Assert.True(strict.Failure is not null, $"{kind}: the validating parse accepted it");
        Assert.False(FastPathVouches(body), $"{kind}: the fast path passed what the validator refuses");
        Assert.NotEqual(true, WalkPasses(body));
        AssertSameAnswer(body);

        var bundle = Bytes(Bundle("batch", Entry(Observation()), Entry(observation)));
        Assert.False(FastPathVouches(bundle), $"{kind}: the walk passed it inside a Bundle");
        AssertSameAnswer(bundle);
    }

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"_status":[null,{"text":"x"}]}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"\u005fstatus":[null,{"text":"x"}]}""")]
    [InlineData("""{"resourceType":"Observation","_status":{"id":"s"},"status":["final","done"],"code":{"text":"x"}}""")]
    public void An_array_the_SDK_drops_from_the_resource_is_left_to_the_validating_parse(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        Assert.Equal(400, FhirResourceReader.ReadStrict(body).Failure?.StatusCode);
        Assert.Null(FhirResourceReader.ReadUnvalidated(body));
        AssertSameAnswer(body);
    }

    [Fact]
    public void A_missing_required_element_keeps_its_path()
    {
        var observation = Observation();
        observation.Remove("status");
        Assert.Equal(["Observation.status"], Assert.Single(FhirResourceReader.Read(Bytes(observation)).Failure!.Issues).Expression);

        var bundle = Bundle("batch", Entry(Observation()));
        bundle.Remove("type");
        Assert.Equal(["Bundle.type"], Assert.Single(FhirResourceReader.Read(Bytes(bundle)).Failure!.Issues).Expression);
    }

    [Fact]
    public void Valid_resources_are_vouched_for_without_the_validator()
    {
        JsonObject[] valid =
        [
            Observation(), BloodPressure(),
            Bundle("batch", Entry(Patient("p-1"), "urn:uuid:00000000-0000-4000-8000-000000000001"), Entry(Observation(), method: "POST"), Entry(BloodPressure())),
            Bundle("history", Entry(SubscriptionStatus("event-notification", "Observation/1")), Entry(Observation())),
            Appointment(),
        ];
        foreach (var resource in valid)
        {
            var body = Bytes(resource);
            Assert.True(FastPathVouches(body), resource.ToJsonString());
            AssertSameAnswer(body);
        }
    }

    [Fact]
    public void Every_hostile_FHIR_body_gets_the_answer_the_validating_parse_gave()
    {
        var files = HostileRequest.All().Where(f => f.StartsWith("fhir-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            AssertSameAnswer(HostileRequest.Load(file).Body, file);
        }
    }

    private static readonly string FixedSeed = new PCG(31, 20261205).ToString();

    public static TheoryData<string> Seeds()
    {
        var fresh = Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString();
        return new TheoryData<string>(FixedSeed, fresh);
    }

    /// <summary>Values put in place of one member: every JSON type, and strings that are not valid for most primitives.</summary>
    private static readonly JsonNode?[] Replacements =
    [
        null, 1, 0, -1, 1.5, 1e20m, true, "", " ", "x", "done", "2026-13-01", "2026-11-30", "2026-11-30T08:15:00Z", "urn:uuid:x y", "http://a b",
        "not an id!", "Observation/1", "#c1", new JsonObject(), new JsonObject { ["text"] = "x" }, new JsonArray(), new JsonArray(1), new JsonArray("x"),
        new JsonArray(new JsonObject { ["text"] = "x" }), new JsonArray(null, new JsonObject { ["text"] = "x" }),
        new JsonObject { ["extension"] = new JsonArray(new JsonObject { ["url"] = "http://example.org/e", ["valueString"] = "x" }) },
    ];

    private static readonly string[] NewMembers =
    [
        "vendorScore", "valueAddress", "valueString", "valueInteger", "valueBoolean", "valueFoo", "effectiveString", "effectiveInstant", "value",
        "_status", "_value", "contained", "id", "extension", "modifierExtension", "resourceType", "meta", "text", "issued", "comparator", "Status",
    ];

    /// <summary>One member of one object somewhere in the document replaced, removed or added.</summary>
    internal static Gen<JsonObject> Broken(Gen<JsonObject> valid) =>
        valid.Select(Gen.Int[0, 1000], Gen.Int[0, 3], Gen.Int[0, Replacements.Length - 1], Gen.Int[0, NewMembers.Length - 1], (document, at, how, replacement, member) =>
        {
            var objects = new List<JsonObject>();
            Collect(document, objects);
            var target = objects[at % objects.Count];
            var names = target.Select(p => p.Key).ToList();
            var name = how == 3 || names.Count == 0 ? NewMembers[member] : names[at % names.Count];
            if (how == 0)
            {
                target.Remove(name);
            }
            else
            {
                target[name] = Replacements[replacement]?.DeepClone();
            }

            return document;
        });

    private static void Collect(JsonNode? node, List<JsonObject> objects)
    {
        switch (node)
        {
            case JsonObject o:
                objects.Add(o);
                foreach (var (_, child) in o)
                {
                    Collect(child, objects);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Collect(item, objects);
                }

                break;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Broken_Observations_get_the_answer_the_validating_parse_gave(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"FhirModelChecksTests seed: {seed}");
        var refused = 0;
        Broken(FhirObservationProperties.ObservationGen).Sample(observation =>
        {
            var body = Bytes(observation);
            if (AssertSameAnswer(body))
            {
                Interlocked.Increment(ref refused);
            }
        }, seed: seed, iter: 3000, threads: 1);

        Assert.InRange(refused, 300, 2900);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Broken_Bundles_get_the_answer_the_validating_parse_gave(string seed)
    {
        var bundles = FhirObservationProperties.ObservationGen.Array[1, 5].Select(Gen.Int[0, 2], (observations, patients) =>
            Bundle("batch", [.. Enumerable.Range(0, patients).Select(i => Entry(Patient($"p-{i}"), $"urn:uuid:00000000-0000-4000-8000-00000000000{i}")),
                .. observations.Select(o => Entry(o, method: "POST"))]));
        Broken(bundles).Sample(bundle => { AssertSameAnswer(Bytes(bundle)); }, seed: seed, iter: 1000, threads: 1);
    }

    /// <summary>True when the parse without the validator has no issue and the walk passes the resource.</summary>
    private static bool FastPathVouches(byte[] body) => FhirResourceReader.ReadUnvalidated(body) is not null;

    /// <summary>The walk alone, on the resource the parse without the validator made (null: that parse had issues).</summary>
    private static bool? WalkPasses(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        return Unvalidated.TryDeserializeResource(ref reader, out var resource, out _) ? FhirModelChecks.Passes(resource) : null;
    }

    /// <summary>Read and ReadStrict agree (the failure's status and every issue, or the same resource); true when refused.</summary>
    private static bool AssertSameAnswer(byte[] body, string? name = null)
    {
        var read = FhirResourceReader.Read(body);
        var strict = FhirResourceReader.ReadStrict(body);
        var label = name ?? Encoding.UTF8.GetString(body);
        Assert.True(strict.Failure?.StatusCode == read.Failure?.StatusCode, $"status differs for {label}: {read.Failure?.StatusCode} vs {strict.Failure?.StatusCode}");
        if (strict.Failure is { } expected)
        {
            Assert.Equal(Describe(expected), Describe(read.Failure!));
            return true;
        }

        Assert.Equal(Serializer.SerializeToString(strict.Resource!), Serializer.SerializeToString(read.Resource!));
        return false;
    }

    private static List<string> Describe(FhirFailure failure) =>
        [.. failure.Issues.Select(i => $"{i.Severity} {i.Code} {string.Join(",", i.Expression)} {i.Diagnostics}")];
}
