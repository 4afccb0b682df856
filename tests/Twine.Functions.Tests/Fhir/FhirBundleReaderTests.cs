using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using static Twine.Functions.Tests.Fhir.FhirFixtures;
using Twine.Functions.Fhir;
using Twine.Functions.Ingestions.Queues;

namespace Twine.Functions.Tests.Fhir;

/// <summary>POST /api/fhir: Bundles, Subscription notifications, limits, and hostile bodies (clear outcomes, never exceptions).</summary>
public sealed class FhirBundleReaderTests
{
    private const string PatientUuid = "urn:uuid:3f1c2b7e-8a4d-4c1e-9b2a-5d6e7f8a9b0c";
    private const string ObservationUuid = "urn:uuid:7a9d1c3e-2b4f-4e6a-8c0d-1e2f3a4b5c6d";

    private static JsonObject ObservationOf(string subjectReference, string code = "8867-4", decimal value = 70, string unit = "/min")
    {
        var observation = Observation("http://loinc.org", code, value, unit);
        observation["subject"] = new JsonObject { ["reference"] = subjectReference };
        return observation;
    }

    [Fact]
    public void A_transaction_with_urn_uuid_references_resolves_the_Patient_entry_and_answers_per_entry()
    {
        var bundle = Bundle("transaction",
            Entry(Patient("pat-1", "MRN-9"), PatientUuid, "POST"),
            Entry(ObservationOf(PatientUuid), ObservationUuid, "POST"),
            Entry(BloodPressure(), "urn:uuid:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "POST"),
            Entry(ObservationOf("urn:uuid:00000000-0000-4000-8000-000000000000"), "urn:uuid:11111111-2222-4333-8444-555555555555", "POST"),
            Entry(Observation(status: "preliminary"), "urn:uuid:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "POST"));

        var request = ReadBundle(bundle);

        Assert.Null(request.Failure);
        Assert.Equal("transaction", request.Kind);
        Assert.Equal(5, request.Entries.Count);
        Assert.Equal([0, 1, 2, 3, 4], request.Entries.Select(e => e.Entry!.Value));
        Assert.Equal(FhirEntryOutcome.Skipped, request.Entries[0].Outcome); // the Patient
        Assert.Equal(FhirEntryOutcome.Delivered, request.Entries[1].Outcome);
        Assert.Equal("MRN-9", request.Entries[1].Metric!["relationships"]!["patient"]!["data"]!["meta"]!["query"]!["identifier"]!["value"]!.GetValue<string>());
        Assert.Equal(FhirEntryOutcome.Delivered, request.Entries[2].Outcome);
        Assert.Equal(FhirEntryOutcome.Refused, request.Entries[3].Outcome);
        Assert.Equal("Bundle.entry[3].resource.subject.reference", request.Entries[3].Expression);
        Assert.Equal(FhirEntryOutcome.Skipped, request.Entries[4].Outcome);
        Assert.Equal((2, 2, 1), (request.Delivered, request.Skipped, request.Refused));
        Assert.Null(request.NothingDeliverable());
        AssertMetricsReaderAccepts(request);
    }

    [Fact]
    public void A_Patient_reference_by_type_and_id_finds_the_Patient_entry_of_a_batch()
    {
        var bundle = Bundle("batch",
            Entry(Patient("pat-5", "MRN-5"), "https://ehr.example.org/fhir/Patient/pat-5", "PUT"),
            Entry(ObservationOf("Patient/pat-5"), null, "POST"));

        var request = ReadBundle(bundle);
        Assert.Equal("MRN-5", request.Entries[1].Metric!["relationships"]!["patient"]!["data"]!["meta"]!["query"]!["identifier"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void A_Patient_entry_without_a_mapped_identifier_refuses_its_Observations_with_the_subject_path()
    {
        var bundle = Bundle("collection",
            Entry(Patient("pat-1", "X-1", "http://unmapped.example.org/ids"), PatientUuid),
            Entry(ObservationOf(PatientUuid), ObservationUuid));

        var request = ReadBundle(bundle, Partner(o => o.PatientIdSystem = null));
        Assert.Equal(FhirEntryOutcome.Refused, request.Entries[1].Outcome);
        Assert.Equal("Bundle.entry[1].resource.subject", request.Entries[1].Expression);
        var failure = request.NothingDeliverable();
        Assert.NotNull(failure);
        Assert.Equal(422, failure.StatusCode);
        Assert.Contains(failure.Issues, i => i.Expression.Contains("Bundle.entry[1].resource.subject"));
    }

    [Fact]
    public void A_collection_of_forty_Observations_of_every_kind_is_answered_entry_by_entry()
    {
        var entries = new List<JsonObject>();
        foreach (var row in FhirCodeMap.Rows.Where(r => !r.IsBloodPressurePanel).Take(34))
        {
            entries.Add(Entry(Observation(row.System, row.Code, 1.5m, "1")));
        }

        entries.Add(Entry(BloodPressure()));
        entries.Add(Entry(Observation(status: "cancelled")));
        entries.Add(Entry(Observation(effective: "2026-11")));
        entries.Add(Entry(Observation("http://loinc.org", "8302-2", 180, "cm")));
        entries.Add(Entry(Patient()));
        entries.Add(Entry(new JsonObject { ["resourceType"] = "Device", ["id"] = "cuff-1" }));

        var request = ReadBundle(Bundle("collection", [.. entries]));
        Assert.Equal(40, request.Entries.Count);
        Assert.Equal(35, request.Delivered);
        Assert.Equal(1, request.Refused);
        Assert.Equal(4, request.Skipped);
        Assert.Contains("Device", request.Entries[39].Reason, StringComparison.Ordinal);
        AssertMetricsReaderAccepts(request);
    }

    [Fact]
    public void A_batch_entry_that_deletes_is_skipped()
    {
        var request = ReadBundle(Bundle("batch", Entry(Observation(), null, "DELETE")));
        Assert.Equal(FhirEntryOutcome.Skipped, Assert.Single(request.Entries).Outcome);
    }

    [Fact]
    public void A_Subscription_notification_with_full_resource_content_is_mapped_after_its_status_entry()
    {
        var bundle = Bundle("history",
            Entry(SubscriptionStatus("event-notification", "https://ehr.example.org/fhir/Observation/bp-1"), "urn:uuid:9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"),
            Entry(BloodPressure(), "https://ehr.example.org/fhir/Observation/bp-1", "POST"));

        var request = ReadBundle(bundle);
        Assert.Null(request.Failure);
        Assert.Equal(FhirBundleReader.SubscriptionNotification, request.Kind);
        var entry = Assert.Single(request.Entries);
        Assert.Equal(1, entry.Entry);
        Assert.Equal(FhirEntryOutcome.Delivered, entry.Outcome);
        AssertMetricsReaderAccepts(request);
    }

    [Fact]
    public void An_id_only_notification_is_refused_with_422_saying_full_resource_content_is_required()
    {
        var idOnly = new JsonObject
        {
            ["fullUrl"] = "https://ehr.example.org/fhir/Observation/bp-1",
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" },
            ["response"] = new JsonObject { ["status"] = "201" },
        };
        var bundle = Bundle("history", Entry(SubscriptionStatus("event-notification", "https://ehr.example.org/fhir/Observation/bp-1"), "urn:uuid:9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"), idOnly);

        var failure = ReadBundle(bundle).Failure;
        Assert.NotNull(failure);
        Assert.Equal(422, failure.StatusCode);
        var issue = Assert.Single(failure.Issues);
        Assert.Contains("full-resource", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Equal(["Bundle.entry[1]"], issue.Expression);
    }

    [Fact]
    public void An_empty_content_event_notification_is_refused_too()
    {
        var failure = ReadBundle(Bundle("history", Entry(SubscriptionStatus("event-notification", "Observation/1")))).Failure;
        Assert.Equal(422, failure?.StatusCode);
    }

    [Theory]
    [InlineData("heartbeat")]
    [InlineData("handshake")]
    public void Heartbeats_and_handshakes_are_accepted_with_nothing_to_deliver(string type)
    {
        var request = ReadBundle(Bundle("history", Entry(SubscriptionStatus(type))));
        Assert.Null(request.Failure);
        Assert.Empty(request.Entries);
        Assert.Null(MetricsDocument(request));
    }

    [Fact]
    public void A_history_Bundle_that_is_not_a_notification_is_refused_at_its_first_entry()
    {
        var failure = ReadBundle(Bundle("history", Entry(Observation()))).Failure;
        Assert.Equal(422, failure?.StatusCode);
        Assert.Equal(["Bundle.entry[0].resource"], Assert.Single(failure!.Issues).Expression);
    }

    [Theory]
    [InlineData("searchset")]
    [InlineData("document")]
    [InlineData("message")]
    [InlineData("batch-response")]
    public void Other_Bundle_types_are_refused_at_the_type(string type)
    {
        var failure = ReadBundle(Bundle(type, Entry(Observation()))).Failure;
        Assert.Equal(422, failure?.StatusCode);
        Assert.Equal(["Bundle.type"], Assert.Single(failure!.Issues).Expression);
    }

    [Fact]
    public void The_entry_cap_is_the_edges_metrics_cap()
    {
        Assert.Equal(QueueMessageLimits.MaxMetricsPerIngestion, FhirLimits.MaxBundleEntries);
        var request = ReadBundle(Bundle("batch", Enumerable.Range(0, FhirLimits.MaxBundleEntries).Select(_ => Entry(Observation())).ToArray()));
        Assert.Null(request.Failure);
        Assert.Equal(FhirLimits.MaxBundleEntries, request.Delivered);
        AssertMetricsReaderAccepts(request);
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(10_000)]
    public void A_Bundle_over_the_entry_cap_is_refused_with_413(int count)
    {
        var entry = """{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"}}}""";
        var body = Encoding.UTF8.GetBytes($$"""{"resourceType":"Bundle","type":"batch","entry":[{{string.Join(",", Enumerable.Repeat(entry, count))}}]}""");

        var failure = FhirBundleReader.ReadBundle(body, Partner()).Failure;
        Assert.NotNull(failure);
        Assert.Equal(413, failure.StatusCode);
        Assert.Equal(["Bundle.entry"], Assert.Single(failure.Issues).Expression);
    }

    [Fact]
    public void Two_entries_with_one_fullUrl_are_refused()
    {
        var failure = ReadBundle(Bundle("batch", Entry(Patient(), PatientUuid), Entry(Observation(), PatientUuid))).Failure;
        Assert.Equal(422, failure?.StatusCode);
        Assert.Equal(["Bundle.entry[1].fullUrl"], Assert.Single(failure!.Issues).Expression);
    }

    [Fact]
    public void An_entry_without_a_resource_is_refused_in_a_batch()
    {
        var request = ReadBundle(Bundle("batch", new JsonObject { ["fullUrl"] = PatientUuid, ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" } }));
        Assert.Equal(("Bundle.entry[0]", FhirEntryOutcome.Refused), (request.Entries[0].Expression, request.Entries[0].Outcome));
    }

    // Hostile inputs: each a clear 4xx outcome with a path where there is one; none throws.

    [Fact]
    public void A_Bundle_posted_to_the_Observation_route_and_an_Observation_posted_to_the_Bundle_route_are_400()
    {
        Assert.Equal(400, ReadObservation(Bundle("batch", Entry(Observation()))).Failure?.StatusCode);
        Assert.Equal(400, ReadBundle(Observation()).Failure?.StatusCode);
    }

    [Fact]
    public void An_unknown_resourceType_is_400_naming_it()
    {
        var failure = FhirBundleReader.ReadObservation("""{"resourceType":"Obsrvation","status":"final"}"""u8.ToArray(), Partner()).Failure;
        Assert.Equal(400, failure?.StatusCode);
        Assert.Contains(failure!.Issues, i => i.Diagnostics!.Contains("Obsrvation", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("observation")]
    [InlineData("OBSERVATION")]
    public void A_resourceType_spelt_in_another_case_is_400_though_the_SDK_would_read_it(string spelling)
    {
        var observation = Observation();
        observation["resourceType"] = spelling;
        var failure = ReadObservation(observation).Failure;
        Assert.Equal(400, failure?.StatusCode);
        Assert.Contains("case-sensitive", Assert.Single(failure!.Issues).Diagnostics, StringComparison.Ordinal);

        var contained = Observation();
        contained["contained"] = new JsonArray(new JsonObject { ["resourceType"] = "patient", ["id"] = "p" });
        Assert.Equal(400, ReadObservation(contained).Failure?.StatusCode);

        var text = Observation();
        text["note"] = new JsonArray(new JsonObject { ["text"] = "resourceType" });
        Assert.Null(ReadObservation(text).Failure);
    }

    [Fact]
    public void A_body_without_resourceType_is_400()
    {
        Assert.Equal(400, FhirBundleReader.ReadObservation("""{"status":"final"}"""u8.ToArray(), Partner()).Failure?.StatusCode);
    }

    [Fact]
    public void Unknown_elements_are_400_with_the_elements_path()
    {
        var bundle = Bundle("batch", Entry(Observation()), Entry(Observation()));
        bundle["entry"]![1]!["resource"]!["vendorScore"] = 7;

        var failure = ReadBundle(bundle).Failure;
        Assert.Equal(400, failure?.StatusCode);
        var issue = Assert.Single(failure!.Issues);
        Assert.Equal(["Bundle.entry[1].resource.vendorScore"], issue.Expression);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
    }

    [Fact]
    public void A_missing_required_element_is_400_with_its_path_under_the_resource_type()
    {
        var observation = Observation();
        observation.Remove("code");
        var failure = ReadObservation(observation).Failure;
        Assert.Equal(["Observation.code"], Assert.Single(failure!.Issues).Expression);

        var bundle = Bundle("batch", Entry(Observation()), Entry(observation));
        Assert.Equal(["Bundle.entry[1].resource.code"], Assert.Single(ReadBundle(bundle).Failure!.Issues).Expression);
    }

    [Fact]
    public void An_invalid_code_value_is_400_at_the_element()
    {
        var failure = ReadObservation(Observation(status: "done")).Failure;
        Assert.Equal(["Observation.status"], Assert.Single(failure!.Issues).Expression);
    }

    [Fact]
    public void Primitive_extensions_are_read_and_a_value_that_is_only_an_extension_is_refused_as_missing()
    {
        var observation = Observation();
        observation["_status"] = new JsonObject { ["extension"] = new JsonArray(new JsonObject { ["url"] = "http://example.org/fhir/StructureDefinition/source", ["valueString"] = "device" }) };
        Assert.Equal(FhirEntryOutcome.Delivered, Assert.Single(ReadObservation(observation).Entries).Outcome);

        observation.Remove("effectiveDateTime");
        observation["_effectiveDateTime"] = new JsonObject
        {
            ["extension"] = new JsonArray(new JsonObject { ["url"] = "http://hl7.org/fhir/StructureDefinition/data-absent-reason", ["valueCode"] = "unknown" }),
        };
        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal((FhirEntryOutcome.Refused, "Observation.effective"), (entry.Outcome, entry.Expression));
    }

    [Fact]
    public void Contained_resources_other_than_the_subject_are_ignored()
    {
        var observation = Observation();
        observation["contained"] = new JsonArray(new JsonObject { ["resourceType"] = "Device", ["id"] = "d1" }, Patient("p9"));
        Assert.Equal(FhirEntryOutcome.Delivered, Assert.Single(ReadObservation(observation).Entries).Outcome);
    }

    [Fact]
    public void Deep_nesting_is_400_without_an_exception()
    {
        var deep = string.Concat(Enumerable.Repeat("""{"url":"http://x.org/e","extension":[""", 200)) + "{}" + string.Concat(Enumerable.Repeat("]}", 200));
        var body = Encoding.UTF8.GetBytes($$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"extension":[{{deep}}]}""");

        var failure = FhirBundleReader.ReadObservation(body, Partner()).Failure;
        Assert.Equal(400, failure?.StatusCode);
        Assert.Contains("deep", Assert.Single(failure!.Issues).Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("[{\"resourceType\":\"Observation\"}]")]
    [InlineData("\"Observation\"")]
    [InlineData("{\"resourceType\":\"Observation\",")]
    [InlineData("{\"resourceType\":\"Observation\",\"status\":\"final\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}")]
    [InlineData("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"valueQuantity\":{\"value\":1e400}}")]
    [InlineData("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":[1,2]}")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"resource\":[1]}]}")]
    [InlineData("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"\\ud800\"}}")]
    [InlineData("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":null}}")]
    [InlineData("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"contained\":\"x\"}")]
    public void Malformed_bodies_are_400_on_both_routes(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        Assert.Equal(400, FhirBundleReader.ReadObservation(bytes, Partner()).Failure?.StatusCode);
        Assert.Equal(400, FhirBundleReader.ReadBundle(bytes, Partner()).Failure?.StatusCode);
    }

    [Fact]
    public void Outcomes_serialise_as_FHIR_JSON_with_severity_code_diagnostics_and_expression()
    {
        var failure = ReadObservation(Observation(status: "done")).Failure!;
        var json = JsonNode.Parse(OperationOutcomes.ToJson(failure.Outcome))!;
        Assert.Equal("OperationOutcome", json["resourceType"]!.GetValue<string>());
        var issue = json["issue"]![0]!;
        Assert.Equal("error", issue["severity"]!.GetValue<string>());
        Assert.NotNull(issue["code"]);
        Assert.NotNull(issue["diagnostics"]);
        Assert.Equal("Observation.status", issue["expression"]![0]!.GetValue<string>());
    }
}
