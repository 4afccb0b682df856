using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CsCheck;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;
using Twine.Functions.Fhir;
using static Twine.Functions.Tests.Fhir.FhirFixtures;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// <see cref="FhirModelChecks"/> reads elements through compiled getters and remembers the verdicts for URIs and codes
/// (<see cref="FhirLiteralVerdicts"/>): it must decide exactly as the walk did with <c>Base.TryGetValue</c> and
/// <see cref="PrimitiveType.HasValidValue"/> on every call (<see cref="PreviousWalk"/>, that walk as it was).
/// </summary>
public sealed class FhirModelChecksWalkTests
{
    private static readonly FhirJsonDeserializer Unvalidated = new(new DeserializerSettings { Validator = null });
    private static readonly string FixedSeed = new PCG(53, 20261206).ToString();

    public static TheoryData<string> Seeds()
    {
        var fresh = Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString();
        return new TheoryData<string>(FixedSeed, fresh);
    }

    private static Resource? Parse(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            return Unvalidated.TryDeserializeResource(ref reader, out var resource, out _) ? resource : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or DeserializationFailedException)
        {
            return null;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_walk_decides_as_the_previous_walk_on_valid_and_broken_Observations(string seed)
    {
        var compared = 0;
        var passed = 0;
        Gen.Frequency((1, FhirObservationProperties.ObservationGen), (3, FhirModelChecksTests.Broken(FhirObservationProperties.ObservationGen))).Sample(observation =>
        {
            if (Parse(Bytes(observation)) is not { } resource)
            {
                return;
            }

            // Twice: the second call answers the URIs and codes from the remembered verdicts.
            var expected = PreviousWalk.Passes(resource);
            Assert.Equal(expected, FhirModelChecks.Passes(resource));
            Assert.Equal(expected, FhirModelChecks.Passes(resource));
            Interlocked.Increment(ref compared);
            if (expected)
            {
                Interlocked.Increment(ref passed);
            }
        }, seed: seed, iter: 3000, threads: 1);

        Assert.InRange(compared, 1000, 3000);
        Assert.InRange(passed, 100, compared - 100);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_walk_decides_as_the_previous_walk_on_valid_and_broken_Bundles(string seed)
    {
        var bundles = FhirObservationProperties.ObservationGen.Array[1, 5].Select(Gen.Int[0, 2], (observations, patients) =>
            Bundle("batch", [.. Enumerable.Range(0, patients).Select(i => Entry(Patient($"p-{i}"), $"urn:uuid:00000000-0000-4000-8000-00000000000{i}")),
                .. observations.Select(o => Entry(o, method: "POST"))]));
        Gen.Frequency((1, bundles), (2, FhirModelChecksTests.Broken(bundles))).Sample(bundle =>
        {
            if (Parse(Bytes(bundle)) is { } resource)
            {
                Assert.Equal(PreviousWalk.Passes(resource), FhirModelChecks.Passes(resource));
            }
        }, seed: seed, iter: 1000, threads: 1);
    }

    [Fact]
    public void Fixtures_of_every_kind_are_decided_as_before()
    {
        foreach (var resource in new[] { Observation(), BloodPressure(), Patient(), Appointment(),
                     Bundle("history", Entry(SubscriptionStatus("event-notification", "Observation/1")), Entry(Observation())) })
        {
            var parsed = Parse(Bytes(resource))!;
            Assert.True(PreviousWalk.Passes(parsed));
            Assert.True(FhirModelChecks.Passes(parsed));
        }
    }

    public static TheoryData<PrimitiveType> Literals() =>
    [
        new FhirUri("http://loinc.org"), new FhirUri("urn:oid:1.2.x"), new FhirUri("http://a b"), new FhirUri("urn:uuid:00000000-0000-4000-8000-000000000001"),
        new Canonical("http://hl7.org/fhir/StructureDefinition/vitalsigns"), new Canonical("not a uri with spaces"), new FhirUrl("http://example.org/x"),
        new Oid("urn:oid:1.2.3"), new Oid("urn:oid:x"), new Uuid("urn:uuid:00000000-0000-4000-8000-000000000001"), new Uuid("urn:uuid:x"),
        new Code("vital-signs"), new Code(" leading space"), new Code("a  b"),
        new Code<ObservationStatus> { JsonValue = "final" }, new Code<Bundle.BundleType> { JsonValue = "final" },
        new FhirString("MRN-0042"), new FhirDateTime("2026-13-01T00:00:00Z"), new Id("not an id!"),
    ];

    [Theory]
    [MemberData(nameof(Literals))]
    public void A_remembered_verdict_is_the_primitive_s_own(PrimitiveType primitive)
    {
        var expected = primitive.HasValidValue();
        Assert.Equal(expected, FhirLiteralVerdicts.IsValid(primitive));
        Assert.Equal(expected, FhirLiteralVerdicts.IsValid(primitive));
    }

    [Fact]
    public void The_same_literal_is_judged_per_type()
    {
        var status = new Code<ObservationStatus> { JsonValue = "final" };
        var bundleType = new Code<Bundle.BundleType> { JsonValue = "final" };
        Assert.True(FhirLiteralVerdicts.IsValid(status));
        Assert.Equal(bundleType.HasValidValue(), FhirLiteralVerdicts.IsValid(bundleType));
        Assert.NotEqual(status.HasValidValue(), bundleType.HasValidValue());
    }

    [Fact]
    public void Only_URIs_and_codes_are_remembered_never_text_identifiers_or_dates()
    {
        Assert.True(FhirLiteralVerdicts.IsKept(new FhirUri("http://loinc.org")));
        Assert.True(FhirLiteralVerdicts.IsKept(new Code("x")));
        Assert.False(FhirLiteralVerdicts.IsKept(new Code<ObservationStatus>(ObservationStatus.Final))); // an enum lookup: cheaper than the cache
        Assert.False(FhirLiteralVerdicts.IsKept(new FhirString("MRN-0042")));
        Assert.False(FhirLiteralVerdicts.IsKept(new FhirDateTime("2026-11-30T08:15:00Z")));
        Assert.False(FhirLiteralVerdicts.IsKept(new Id("pat-1")));
        Assert.False(FhirLiteralVerdicts.IsKept(new Markdown("note")));
    }

    [Fact]
    public void The_cache_stays_small_under_a_stream_of_distinct_URIs()
    {
        for (var i = 0; i < FhirLiteralVerdicts.MaxEntries * 3; i++)
        {
            var uri = new FhirUri("http://example.org/fhir/" + i.ToString("D12", CultureInfo.InvariantCulture));
            Assert.True(FhirLiteralVerdicts.IsValid(uri));
            Assert.InRange(FhirLiteralVerdicts.Count, 1, FhirLiteralVerdicts.MaxEntries + 64); // other tests add beside this one
        }

        Assert.Equal(new FhirUri("http://a b").HasValidValue(), FhirLiteralVerdicts.IsValid(new FhirUri("http://a b")));
    }

    [Fact]
    public void Fresh_fullUrls_are_judged_but_not_remembered()
    {
        var fullUrl = new FhirUri("urn:uuid:00000000-0000-4000-9000-000000000001");
        Assert.False(FhirLiteralVerdicts.IsKept(fullUrl));
        Assert.True(FhirLiteralVerdicts.IsValid(fullUrl));
        Assert.False(FhirLiteralVerdicts.IsValid(new FhirUri("urn:uuid:not-a-uuid")));
        Assert.True(FhirLiteralVerdicts.IsKept(new FhirUri("urn:oid:2.16.840.1.113883.6.1")));
        Assert.False(FhirLiteralVerdicts.IsKept(new FhirUri("http://example.org/" + new string('x', FhirLiteralVerdicts.MaxLength))));
    }

    /// <summary>FhirModelChecks' walk before the compiled getters and the verdict cache, kept as the reference.</summary>
    private static class PreviousWalk
    {
        private static readonly ModelInspector Inspector = ModelInfo.ModelInspector;
        private static readonly ConcurrentDictionary<Type, Child[]?> Rules = new();
        private static readonly PocoValidationContext Context =
            new(new Hl7.Fhir.Model.Basic(), Inspector, static () => "", null, null, NarrativeValidationKind.None);

        public static bool Passes(Base resource)
        {
            try
            {
                return Passes(resource, 0);
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidCastException or ArgumentException or FormatException or OverflowException
                                          or CodedValidationException or NotSupportedException)
            {
                return false;
            }
        }

        private static bool Passes(Base node, int depth)
        {
            if (depth > FhirLimits.MaxDepth || node is IDynamicType || node.HasOverflow || Rules.GetOrAdd(node.GetType(), Build) is not { } children)
            {
                return false;
            }

            var hasElement = false;
            if (node is PrimitiveType primitive && primitive.JsonValue is not null)
            {
                if (!primitive.HasValidValue())
                {
                    return false;
                }

                hasElement = true;
            }

            foreach (var child in children)
            {
                if (!node.TryGetValue(child.Name, out var value))
                {
                    if (child.Min > 0)
                    {
                        return false;
                    }

                    continue;
                }

                hasElement = true;
                switch (value)
                {
                    case Base single:
                        if (child.Min > 1 || child.AllowedTypes.Any(a => a.Validate(single, Context).Count > 0) || !Passes(single, depth + 1))
                        {
                            return false;
                        }

                        break;
                    case IList list:
                        if (list.Count < child.Min || (child.Max != -1 && list.Count > child.Max) || child.AllowedTypes.Any(a => a.Validate(value, Context).Count > 0))
                        {
                            return false;
                        }

                        for (var i = 0; i < list.Count; i++)
                        {
                            if (list[i] is not Base element || !Passes(element, depth + 1)
                                || (child.IsContained && element is DomainResource nested && nested.TryGetValue("contained", out _)))
                            {
                                return false;
                            }
                        }

                        break;
                    default:
                        return false;
                }
            }

            return hasElement;
        }

        private static Child[]? Build(Type type)
        {
            var mapping = Inspector.FindOrImportClassMapping(type);
            if (mapping is null || mapping.IsCustomMapping || mapping.ValidationAttributes.Length > 0)
            {
                return null;
            }

            var method = type.GetMethod("ValidateInvariants", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
            if (method?.DeclaringType is { } declared && declared != typeof(Base) && declared != typeof(PrimitiveType) && declared != typeof(DomainResource))
            {
                return null;
            }

            var children = new List<Child>();
            foreach (var property in mapping.PropertyMappings)
            {
                if (property.IsPrimitive)
                {
                    continue;
                }

                var cardinality = property.ValidationAttributes.OfType<CardinalityAttribute>().SingleOrDefault();
                if (property.ValidationAttributes.Any(a => a is not (CardinalityAttribute or AllowedTypesAttribute)))
                {
                    return null;
                }

                children.Add(new Child(property.Name, cardinality?.Min ?? 0, cardinality?.Max ?? (property.IsCollection ? -1 : 1),
                    [.. property.ValidationAttributes.OfType<AllowedTypesAttribute>()], property.Name == "contained" && typeof(DomainResource).IsAssignableFrom(type)));
            }

            return [.. children];
        }

        private sealed record Child(string Name, int Min, int Max, AllowedTypesAttribute[] AllowedTypes, bool IsContained);
    }
}
