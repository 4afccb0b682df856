using System.Text.Json.Nodes;
using Twine.Functions.Fhir;
using static Twine.Functions.Tests.Fhir.FhirFixtures;

namespace Twine.Functions.Tests.Fhir;

/// <summary>An Observation's several codings, read in one pass (no lists built): which one is mapped, and when they disagree.</summary>
public sealed class FhirObservationCodingsTests
{
    private static JsonObject WithCodings(params JsonObject[] codings)
    {
        var observation = Observation();
        observation["code"] = new JsonObject { ["coding"] = new JsonArray([.. codings]) };
        return observation;
    }

    [Fact]
    public void The_LOINC_coding_is_used_even_after_a_device_code_of_the_same_type()
    {
        var entry = Assert.Single(ReadObservation(WithCodings(Coding("http://example.org/local", "hr"), Coding(FhirSystems.Mdc, "147842"),
            Coding(FhirSystems.Loinc, "8867-4"))).Entries);
        Assert.Equal(FhirEntryOutcome.Delivered, entry.Outcome);
        Assert.Equal("LOINC", entry.Metric!["attributes"]!["code"]!["system"]!.GetValue<string>());
        Assert.Equal("8867-4", entry.Metric!["attributes"]!["code"]!["value"]!.GetValue<string>());
        Assert.Equal("heart_rate", entry.Metric!["attributes"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Device_codes_alone_map_through_their_LOINC_row()
    {
        var entry = Assert.Single(ReadObservation(WithCodings(Coding(FhirSystems.Mdc, "149530"), Coding(FhirSystems.Mdc, "147842"))).Entries);
        Assert.Equal(FhirEntryOutcome.Delivered, entry.Outcome);
        Assert.Equal("heart_rate", entry.Metric!["attributes"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Codings_of_different_types_are_refused_at_the_code_with_each_type_once_in_order()
    {
        var entry = Assert.Single(ReadObservation(WithCodings(Coding(FhirSystems.Loinc, "8867-4"), Coding(FhirSystems.Mdc, "147842"),
            Coding(FhirSystems.Loinc, "8310-5"), Coding(FhirSystems.Loinc, "8867-4"))).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.code", entry.Expression);
        Assert.Equal("The codings map to different Twine metric types (heart_rate, body_temperature); the app does not choose between them.", entry.Reason);
    }

    [Fact]
    public void No_mapped_coding_is_skipped()
    {
        var entry = Assert.Single(ReadObservation(WithCodings(Coding("http://example.org/local", "hr"))).Entries);
        Assert.Equal(FhirEntryOutcome.Skipped, entry.Outcome);
        Assert.Equal("Observation", entry.Expression);
    }

    [Fact]
    public void A_refused_period_names_its_start_through_the_public_check()
    {
        Assert.False(FhirObservationMapper.TryOccurredAt(new Hl7.Fhir.Model.Period(), "Bundle.entry[2].resource.effective", out _, out var at, out _));
        Assert.Equal("Bundle.entry[2].resource.effective.start", at);
    }
}
