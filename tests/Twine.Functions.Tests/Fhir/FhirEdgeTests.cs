using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Configuration;
using static Twine.Functions.Tests.Fhir.FhirFixtures;
using Twine.Functions.Fhir;

namespace Twine.Functions.Tests.Fhir;

/// <summary>Media types, the CapabilityStatement and the partner options' validation.</summary>
public sealed class FhirEdgeTests
{
    [Theory]
    [InlineData("application/fhir+json")]
    [InlineData("application/fhir+json; fhirVersion=4.0")]
    [InlineData("application/fhir+json;fhirVersion=4.0;charset=utf-8")]
    [InlineData("Application/FHIR+JSON; charset=\"UTF-8\"")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    public void Accepted_media_types(string contentType) => Assert.Null(FhirMediaTypes.Check(contentType));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("application/fhir+xml")]
    [InlineData("application/xml")]
    [InlineData("application/vnd.api+json")]
    [InlineData("text/plain")]
    [InlineData("application/fhir+json; fhirVersion=4.3")]
    [InlineData("application/fhir+json; fhirVersion=5.0")]
    [InlineData("application/fhir+json; charset=latin1")]
    [InlineData("application/json; fhirVersion=4.0")]
    [InlineData("application/fhir+json; profile=x")]
    [InlineData("not a media type")]
    public void Refused_media_types_are_415_OperationOutcomes(string? contentType)
    {
        var failure = FhirMediaTypes.Check(contentType);
        Assert.Equal(415, failure?.StatusCode);
        Assert.Equal(OperationOutcome.IssueType.NotSupported, Assert.Single(failure!.Issues).Code);
    }

    [Fact]
    public void The_status_codes_are_the_ones_FHIR_servers_use()
    {
        Assert.Equal((400, 401, 413, 415, 422),
            (FhirStatusCodes.Unparseable, FhirStatusCodes.Signature, FhirStatusCodes.TooLarge, FhirStatusCodes.UnsupportedMediaType, FhirStatusCodes.BusinessRule));
        Assert.Equal(401, OperationOutcomes.Signature("The signature does not match.").StatusCode);
        Assert.Equal(OperationOutcome.IssueType.Security, Assert.Single(OperationOutcomes.Signature("x").Issues).Code);
        Assert.Equal(413, OperationOutcomes.TooLarge("x").StatusCode);
    }

    [Fact]
    public void The_CapabilityStatement_says_what_is_supported_and_round_trips_through_the_parser()
    {
        var statement = FhirCapabilityStatement.Build(new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero), "https://twine.example/api/fhir");
        var json = OperationOutcomes.ToJson(statement);

        var parsed = FhirResourceReader.Read(json);
        Assert.Null(parsed.Failure);
        var read = Assert.IsType<CapabilityStatement>(parsed.Resource);
        Assert.Equal(FHIRVersion.N4_0_1, read.FhirVersion);
        Assert.Equal(["application/fhir+json", "json"], read.Format);
        var rest = Assert.Single(read.Rest);
        Assert.Equal([CapabilityStatement.SystemRestfulInteraction.Batch, CapabilityStatement.SystemRestfulInteraction.Transaction], rest.Interaction.Select(i => i.Code!.Value));
        var resources = rest.Resource.ToDictionary(r => r.Type!, r => r.Interaction.Select(i => i.Code!.Value).ToList());
        Assert.Equal([CapabilityStatement.TypeRestfulInteraction.Create], resources["Observation"]);
        Assert.Equal([CapabilityStatement.TypeRestfulInteraction.Update, CapabilityStatement.TypeRestfulInteraction.Delete], resources["Appointment"]);
        Assert.Empty(resources["Patient"]);
        Assert.DoesNotContain(rest.Resource, r => r.Interaction.Any(i => i.Code is CapabilityStatement.TypeRestfulInteraction.Read or CapabilityStatement.TypeRestfulInteraction.SearchType));
    }

    [Fact]
    public void Valid_partner_options_pass_both_validators()
    {
        Assert.True(new FhirPartnerOptionsValidator().Validate("acme", Options()).Succeeded);
        Assert.True(new FhirPartnerMappingsValidator().Validate("acme", Options()).Succeeded);
    }

    public static TheoryData<string, string> BrokenOptions() => new()
    {
        { "organization", "Organization" },
        { "twine-user", "TwineUser" },
        { "event-type", "TwineType" },
        { "plan-check-in", "TwineType" },
        { "default", "DefaultEventType" },
        { "fhir-system", "FhirSystem" },
        { "practitioner", "Practitioner" },
        { "twine-system", "TwineSystem" },
    };

    [Theory]
    [MemberData(nameof(BrokenOptions))]
    public void Broken_partner_options_fail_at_start_up_naming_the_setting(string broken, string named)
    {
        var options = Options();
        switch (broken)
        {
            case "organization": options.Organization = "acme"; break;
            case "twine-user": options.Practitioners[0].TwineUser = "coach-1"; break;
            case "event-type": options.EventTypes[0].TwineType = "house-call"; break;
            case "plan-check-in": options.EventTypes[0].TwineType = "plan-check-in"; break;
            case "default": options.DefaultEventType = "plan-check-in"; break;
            case "fhir-system": options.IdentifierSystems[0].FhirSystem = "mrn"; break;
            case "practitioner": options.Practitioners[0].Practitioner = "dr-who"; break;
            case "twine-system": options.IdentifierSystems[0].TwineSystem = " "; break;
        }

        var result = new FhirPartnerOptionsValidator().Validate("acme", options);
        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_FHIR_system_mapped_twice_fails()
    {
        var options = Options();
        options.IdentifierSystems.Add(new FhirIdentifierSystemMapping { FhirSystem = MrnSystem, TwineSystem = "other" });
        var result = new FhirPartnerMappingsValidator().Validate("acme", options);
        Assert.True(result.Failed);
        Assert.Contains(MrnSystem, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Partner_options_bind_from_configuration_keys_with_lists_of_pairs()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fhir:Partners:acme:Organization"] = FhirFixtures.Organization,
            ["Fhir:Partners:acme:IdentifierSystems:0:FhirSystem"] = MrnSystem,
            ["Fhir:Partners:acme:IdentifierSystems:0:TwineSystem"] = "medical-record-number",
            ["Fhir:Partners:acme:DefaultEventType"] = "video-call",
        }).Build();
        var options = new FhirPartnerOptions();
        ConfigurationBinder.Bind(configuration.GetSection($"{FhirPartnerOptions.SectionPrefix}:acme"), options);

        var partner = new FhirPartner(options);
        Assert.Equal("medical-record-number", partner.TwineSystemFor(MrnSystem));
        Assert.Equal("video-call", partner.DefaultEventType);
        Assert.True(new FhirPartnerOptionsValidator().Validate("acme", options).Succeeded);
    }

    /// <summary>
    /// The mapping core stays pure (the FHIR folder's HTTP edge uses the shared machinery; its mappers use none of it).
    /// The one exception is the metrics route's typed metric, the data an Observation maps to: fields, written by the metrics reader.
    /// </summary>
    [Fact]
    public void The_fhir_mappers_use_no_other_folder_of_the_app()
    {
        Type[] pure = [typeof(FhirObservationMapper), typeof(FhirBundleReader), typeof(FhirAppointmentMapper), typeof(FhirSubjects),
            typeof(FhirResourceReader), typeof(FhirCodeMap), typeof(OperationOutcomes), typeof(FhirMediaTypes), typeof(FhirCapabilityStatement)];
        var used = pure
            .SelectMany(Architecture.AssemblyDependencies.UsedBy)
            .Where(t => t.Assembly == typeof(FhirObservationMapper).Assembly && t.Namespace is { } ns && ns.StartsWith("Twine.Functions.", StringComparison.Ordinal)
                        && !ns.StartsWith("Twine.Functions.Fhir", StringComparison.Ordinal)
                        && t != typeof(Twine.Functions.Metrics.MappedMetric) && t != typeof(Twine.Functions.Metrics.MetricPatientQuery))
            .Select(t => t.FullName)
            .Distinct()
            .ToList();
        Assert.Empty(used);
    }
}
