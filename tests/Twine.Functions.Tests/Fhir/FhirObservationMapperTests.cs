using System.Text.Json.Nodes;
using static Twine.Functions.Tests.Fhir.FhirFixtures;
using Twine.Functions.Fhir;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Fhir;

/// <summary>One Observation at a time (POST /api/fhir/Observation): every row of the mapping table, values, statuses, times and subjects.</summary>
public sealed class FhirObservationMapperTests
{
    /// <summary>Every row that is not a blood pressure panel, with a unit typical for it (carried as sent).</summary>
    public static TheoryData<string, string, string, string> SingleValueRows()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var row in FhirCodeMap.Rows.Where(r => !r.IsBloodPressurePanel))
        {
            data.Add(row.System, row.Code, row.MetricType, Unit(row.MetricType));
        }

        return data;
    }

    private static string Unit(string type) => type switch
    {
        "blood_pressure_systolic" or "blood_pressure_diastolic" => "mm[Hg]",
        "heart_rate" or "respiratory_rate" => "/min",
        "body_temperature" => "Cel",
        "oxygen_saturation" or "body_fat_percentage" or "hemoglobin_a1c" or "hematocrit" or "peripheral_perfusion_index" => "%",
        "weight" => "kg",
        "body_mass_index" => "kg/m2",
        "pain_level" => "{score}",
        "forced_expiratory_volume1" or "forced_vital_capacity" => "L",
        "peak_expiratory_flow_rate" => "L/min",
        "blood_glucose" => "mg/dL",
        "cd4_cell_count" => "/uL",
        "hiv_viral_load" => "{copies}/mL",
        "inr" => "{INR}",
        "thyroid_stimulating_hormone" => "m[IU]/L",
        _ => "mg/dL",
    };

    [Theory]
    [MemberData(nameof(SingleValueRows))]
    public void Every_mapped_code_is_delivered_with_its_type_the_LOINC_code_the_value_and_the_UCUM_unit(string system, string code, string type, string unit)
    {
        var request = ReadObservation(Observation(system, code, 97.25m, unit));

        var entry = Assert.Single(request.Entries);
        Assert.Equal(FhirEntryOutcome.Delivered, entry.Outcome);
        var attributes = entry.Metric!["attributes"]!.AsObject();
        Assert.Equal(type, attributes["type"]!.GetValue<string>());
        Assert.Equal(97.25m, attributes["value"]!.GetValue<decimal>());
        Assert.Equal(unit, attributes["unit"]!.GetValue<string>());
        Assert.Equal("2026-11-30T08:15:00-05:00", attributes["occurred_at"]!.GetValue<string>());
        var row = FhirCodeMap.Find(system, code)!;
        Assert.Equal(row.Loinc.Length > 0 ? "LOINC" : "MDC", attributes["code"]!["system"]!.GetValue<string>());
        Assert.Equal(row.Loinc.Length > 0 ? row.Loinc : code, attributes["code"]!["value"]!.GetValue<string>());
        if (system == FhirSystems.Loinc)
        {
            Assert.Equal(code, attributes["code"]!["value"]!.GetValue<string>());
        }

        var query = entry.Metric["relationships"]!["patient"]!["data"]!["meta"]!["query"]!;
        Assert.Equal("medical-record-number", query["identifier"]!["system"]!.GetValue<string>());
        Assert.Equal("MRN-0042", query["identifier"]!["value"]!.GetValue<string>());
        Assert.Equal(Organization, query["organization"]!.GetValue<string>());
        AssertMetricsReaderAccepts(request);
    }

    [Theory]
    [InlineData("http://loinc.org", "85354-9", "http://loinc.org", "8480-6", "8462-4")]
    [InlineData("http://loinc.org", "55284-4", "http://loinc.org", "8480-6", "8462-4")]
    [InlineData("urn:iso:std:iso:11073:10101", "150020", "urn:iso:std:iso:11073:10101", "150021", "150022")]
    [InlineData("http://loinc.org", "85354-9", "urn:iso:std:iso:11073:10101", "150021", "150022")]
    public void A_blood_pressure_panel_becomes_one_blood_pressure_metric_from_its_components(string panelSystem, string panelCode, string componentSystem, string sys, string dia)
    {
        var request = ReadObservation(BloodPressure(131, 84.5m, panelSystem, panelCode, componentSystem, sys, dia));

        var attributes = Assert.Single(request.Entries).Metric!["attributes"]!;
        Assert.Equal("blood_pressure", attributes["type"]!.GetValue<string>());
        Assert.Equal(131m, attributes["systolic"]!.GetValue<decimal>());
        Assert.Equal(84.5m, attributes["diastolic"]!.GetValue<decimal>());
        Assert.Equal("mm[Hg]", attributes["unit"]!.GetValue<string>());
        Assert.Equal(panelSystem == FhirSystems.Loinc ? panelCode : "85354-9", attributes["code"]!["value"]!.GetValue<string>());
        AssertMetricsReaderAccepts(request);
    }

    [Fact]
    public void A_device_observation_coded_with_MDC_beside_LOINC_is_delivered_with_the_LOINC_code()
    {
        var observation = Observation("urn:iso:std:iso:11073:10101", "150456", 97, "%");
        observation["code"]!["coding"]!.AsArray().Add(Coding("http://loinc.org", "59408-5"));

        var attributes = Assert.Single(ReadObservation(observation).Entries).Metric!["attributes"]!;
        Assert.Equal("oxygen_saturation", attributes["type"]!.GetValue<string>());
        Assert.Equal("59408-5", attributes["code"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Codings_that_map_to_different_types_are_refused_not_chosen_between()
    {
        var observation = Observation("http://loinc.org", "8867-4");
        observation["code"]!["coding"]!.AsArray().Add(Coding("http://loinc.org", "9279-1"));

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.code", entry.Expression);
    }

    [Theory]
    [InlineData("http://loinc.org", "8302-2")] // body height: no Twine type
    [InlineData("http://loinc.org", "85353-1")] // the vital signs panel itself
    [InlineData("http://snomed.info/sct", "271649006")]
    [InlineData("urn:iso:std:iso:11073:10101", "150023")] // mean arterial pressure
    public void An_unmapped_code_is_skipped_with_the_codes_in_the_reason(string system, string code)
    {
        var entry = Assert.Single(ReadObservation(Observation(system, code)).Entries);
        Assert.Equal(FhirEntryOutcome.Skipped, entry.Outcome);
        Assert.Contains($"{system}|{code}", entry.Reason, StringComparison.Ordinal);
        Assert.Null(entry.Metric);
    }

    [Theory]
    [InlineData("final")]
    [InlineData("amended")]
    [InlineData("corrected")]
    public void Final_amended_and_corrected_are_delivered(string status) =>
        Assert.Equal(FhirEntryOutcome.Delivered, Assert.Single(ReadObservation(Observation(status: status)).Entries).Outcome);

    [Theory]
    [InlineData("preliminary")]
    [InlineData("registered")]
    [InlineData("cancelled")]
    [InlineData("entered-in-error")]
    [InlineData("unknown")]
    public void Other_statuses_are_skipped_with_the_status_in_the_reason(string status)
    {
        var entry = Assert.Single(ReadObservation(Observation(status: status)).Entries);
        Assert.Equal(FhirEntryOutcome.Skipped, entry.Outcome);
        Assert.Contains($"'{status}'", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_data_absent_value_is_skipped()
    {
        var observation = Observation("http://loinc.org", "29463-7");
        observation.Remove("valueQuantity");
        observation["dataAbsentReason"] = DataAbsent("asked-declined");

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Skipped, entry.Outcome);
        Assert.Contains("asked-declined", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_data_absent_blood_pressure_component_is_skipped()
    {
        var observation = BloodPressure();
        var diastolic = observation["component"]![1]!.AsObject();
        diastolic.Remove("valueQuantity");
        diastolic["dataAbsentReason"] = DataAbsent("error");

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Skipped, entry.Outcome);
        Assert.Contains("diastolic", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blood_pressure_panel_without_its_diastolic_component_is_refused_at_the_components()
    {
        var observation = BloodPressure();
        observation["component"]!.AsArray().RemoveAt(1);

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.component", entry.Expression);
    }

    [Fact]
    public void Blood_pressure_components_in_different_units_are_refused_never_converted()
    {
        var observation = BloodPressure();
        observation["component"]![1]!["valueQuantity"] = Quantity(11, "kPa");

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.component[1].value.code", entry.Expression);
    }

    [Fact]
    public void Units_are_carried_as_sent_pounds_stay_pounds()
    {
        var attributes = Assert.Single(ReadObservation(Observation("http://loinc.org", "29463-7", 185.4m, "[lb_av]")).Entries).Metric!["attributes"]!;
        Assert.Equal("[lb_av]", attributes["unit"]!.GetValue<string>());
        Assert.Equal(185.4m, attributes["value"]!.GetValue<decimal>());
    }

    [Fact]
    public void A_quantity_without_a_UCUM_system_is_refused_at_the_system()
    {
        var observation = Observation("http://loinc.org", "29463-7", 80, "kg");
        observation["valueQuantity"]!.AsObject().Remove("system");

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.value.system", entry.Expression);
    }

    [Fact]
    public void A_value_with_a_comparator_is_skipped()
    {
        var observation = Observation("http://loinc.org", "20447-9", 20, "{copies}/mL");
        observation["valueQuantity"]!["comparator"] = "<";

        Assert.Equal(FhirEntryOutcome.Skipped, Assert.Single(ReadObservation(observation).Entries).Outcome);
    }

    [Fact]
    public void A_valueInteger_pain_score_is_delivered_without_a_unit()
    {
        var observation = Observation("http://loinc.org", "72514-3");
        observation.Remove("valueQuantity");
        observation["valueInteger"] = 6;

        var request = ReadObservation(observation);
        var attributes = Assert.Single(request.Entries).Metric!["attributes"]!.AsObject();
        Assert.Equal(6, attributes["value"]!.GetValue<int>());
        Assert.False(attributes.ContainsKey("unit"));
        AssertMetricsReaderAccepts(request);
    }

    [Fact]
    public void A_valueString_is_skipped_as_unsupported()
    {
        var observation = Observation("http://loinc.org", "8867-4");
        observation.Remove("valueQuantity");
        observation["valueString"] = "normal";

        Assert.Equal(FhirEntryOutcome.Skipped, Assert.Single(ReadObservation(observation).Entries).Outcome);
    }

    [Fact]
    public void A_missing_value_without_a_reason_is_refused_at_the_value()
    {
        var observation = Observation();
        observation.Remove("valueQuantity");

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.value", entry.Expression);
    }

    [Theory]
    [InlineData("2026-11-30T08:15:00Z", "2026-11-30T08:15:00+00:00")]
    [InlineData("2026-11-30T08:15:00.123+01:00", "2026-11-30T08:15:00.123+01:00")]
    [InlineData("2026-11-30T08:15:00.1234567891-03:30", "2026-11-30T08:15:00.1234567-03:30")]
    public void EffectiveDateTime_becomes_occurred_at_with_the_senders_offset(string effective, string expected)
    {
        var request = ReadObservation(Observation(effective: effective));
        Assert.Equal(expected, Assert.Single(request.Entries).Metric!["attributes"]!["occurred_at"]!.GetValue<string>());
        AssertMetricsReaderAccepts(request);
    }

    [Fact]
    public void EffectiveInstant_becomes_occurred_at()
    {
        var observation = Observation();
        observation.Remove("effectiveDateTime");
        observation["effectiveInstant"] = "2026-11-30T13:15:00.250Z";

        Assert.Equal("2026-11-30T13:15:00.25+00:00", Assert.Single(ReadObservation(observation).Entries).Metric!["attributes"]!["occurred_at"]!.GetValue<string>());
    }

    [Fact]
    public void EffectivePeriod_becomes_occurred_at_at_its_start()
    {
        var observation = Observation("http://loinc.org", "2339-0", 104, "mg/dL");
        observation.Remove("effectiveDateTime");
        observation["effectivePeriod"] = new JsonObject { ["start"] = "2026-11-29T22:00:00-05:00", ["end"] = "2026-11-30T06:00:00-05:00" };

        Assert.Equal("2026-11-29T22:00:00-05:00", Assert.Single(ReadObservation(observation).Entries).Metric!["attributes"]!["occurred_at"]!.GetValue<string>());
    }

    [Fact]
    public void EffectivePeriod_without_a_start_is_refused_at_the_start()
    {
        var observation = Observation();
        observation.Remove("effectiveDateTime");
        observation["effectivePeriod"] = new JsonObject { ["end"] = "2026-11-30T06:00:00-05:00" };

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.effective.start", entry.Expression);
    }

    [Theory]
    [InlineData("2026", "partial date")]
    [InlineData("2026-11", "partial date")]
    [InlineData("2026-11-30", "without a time")]
    public void A_partial_date_or_a_missing_time_is_refused_at_the_effective(string effective, string reason)
    {
        var entry = Assert.Single(ReadObservation(Observation(effective: effective)).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.effective", entry.Expression);
        Assert.Contains(reason, entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_effective_is_refused()
    {
        var observation = Observation();
        observation.Remove("effectiveDateTime");

        Assert.Equal("Observation.effective", Assert.Single(ReadObservation(observation).Entries).Expression);
    }

    [Fact]
    public void Subject_identifier_of_a_mapped_system_is_the_patient()
    {
        var observation = Observation();
        observation["subject"] = SubjectByIdentifier("123-45-6789", "urn:oid:2.16.840.1.113883.4.1");

        var query = Assert.Single(ReadObservation(observation).Entries).Metric!["relationships"]!["patient"]!["data"]!["meta"]!["query"]!;
        Assert.Equal("ssn-like", query["identifier"]!["system"]!.GetValue<string>());
    }

    [Fact]
    public void Subject_identifier_of_an_unmapped_system_is_refused_at_the_system_without_quoting_the_value()
    {
        var observation = Observation();
        observation["subject"] = SubjectByIdentifier("SECRET-42", "http://other.example.org/ids");

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.subject.identifier.system", entry.Expression);
        Assert.DoesNotContain("SECRET-42", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_literal_Patient_reference_maps_through_the_partners_patient_id_system()
    {
        var observation = Observation();
        observation["subject"] = new JsonObject { ["reference"] = "Patient/pat-77" };

        var identifier = Assert.Single(ReadObservation(observation).Entries).Metric!["relationships"]!["patient"]!["data"]!["meta"]!["query"]!["identifier"]!;
        Assert.Equal("acme-fhir-patient", identifier["system"]!.GetValue<string>());
        Assert.Equal("pat-77", identifier["value"]!.GetValue<string>());
    }

    [Fact]
    public void A_literal_Patient_reference_without_a_patient_id_system_is_refused_at_the_reference()
    {
        var observation = Observation();
        observation["subject"] = new JsonObject { ["reference"] = "Patient/pat-77" };

        var entry = Assert.Single(ReadObservation(observation, Partner(o => o.PatientIdSystem = null)).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal("Observation.subject.reference", entry.Expression);
    }

    [Theory]
    [InlineData("https://ehr.example.org/fhir/Patient/pat-77", "Observation.subject.reference")]
    [InlineData("Group/cohort-1", "Observation.subject.reference")]
    public void References_that_cannot_be_resolved_are_refused(string reference, string expression)
    {
        var observation = Observation();
        observation["subject"] = new JsonObject { ["reference"] = reference };

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal(FhirEntryOutcome.Refused, entry.Outcome);
        Assert.Equal(expression, entry.Expression);
    }

    [Fact]
    public void A_subject_typed_as_a_Device_is_refused_at_its_type()
    {
        var observation = Observation();
        observation["subject"] = new JsonObject { ["type"] = "Device", ["identifier"] = new JsonObject { ["system"] = MrnSystem, ["value"] = "x" } };

        Assert.Equal("Observation.subject.type", Assert.Single(ReadObservation(observation).Entries).Expression);
    }

    [Fact]
    public void A_missing_subject_is_refused()
    {
        var observation = Observation();
        observation.Remove("subject");

        Assert.Equal("Observation.subject", Assert.Single(ReadObservation(observation).Entries).Expression);
    }

    [Fact]
    public void A_contained_Patient_is_resolved_by_its_local_reference()
    {
        var observation = Observation();
        observation["contained"] = new JsonArray(Patient("p1", "MRN-C"));
        observation["subject"] = new JsonObject { ["reference"] = "#p1" };

        var identifier = Assert.Single(ReadObservation(observation).Entries).Metric!["relationships"]!["patient"]!["data"]!["meta"]!["query"]!["identifier"]!;
        Assert.Equal("MRN-C", identifier["value"]!.GetValue<string>());
    }

    [Fact]
    public void A_contained_Patients_local_id_is_never_taken_for_the_partners_Patient_id()
    {
        // The partner maps its FHIR Patient ids (PatientIdSystem), but "#p1" names the Observation's own contained
        // resource: taking p1 as a Patient id would file the metric under whichever patient has the id p1.
        var observation = Observation();
        observation["contained"] = new JsonArray(Patient("p1", "MRN-C", system: "http://unmapped.example.org/ids"));
        observation["subject"] = new JsonObject { ["reference"] = "#p1" };

        var entry = Assert.Single(ReadObservation(observation).Entries);
        Assert.Equal((FhirEntryOutcome.Refused, "Observation.subject"), (entry.Outcome, entry.Expression));
        Assert.Contains("local", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_skipped_status_wins_over_a_bad_subject()
    {
        var observation = Observation(status: "entered-in-error");
        observation.Remove("subject");

        Assert.Equal(FhirEntryOutcome.Skipped, Assert.Single(ReadObservation(observation).Entries).Outcome);
    }

    [Fact]
    public void Every_mapped_type_is_one_of_the_42_Twine_metric_types_the_edge_knows()
    {
        Assert.Equal(42, MetricResourceValidator.MetricTypes.Count);
        Assert.All(FhirCodeMap.Rows, r => Assert.True(MetricResourceValidator.MetricTypes.Contains(r.MetricType), r.MetricType));
        Assert.All(FhirCodeMap.Rows, r => Assert.True(r.System is FhirSystems.Loinc or FhirSystems.Mdc));
        Assert.All(FhirCodeMap.Rows.Where(r => r.System == FhirSystems.Loinc), r => Assert.Equal(r.Code, r.Loinc));
    }
}
