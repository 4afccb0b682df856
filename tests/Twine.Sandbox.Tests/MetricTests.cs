using System.Net;

namespace Twine.Sandbox.Tests;

public sealed class MetricTests : SandboxHost
{
    // The createPatientHealthMetric description's example: the patient by meta.query instead of id.
    private const string SpecMetaQueryExample = """
        {
          "data": {
            "type": "patient_health_metric",
             "attributes": {
               "code": {
                 "system": "LOINC",
                 "value": "13457-7"
               },
               "type": "ldl_cholesterol",
               "occurred_at": "2017-03-14T11:00:57.000Z",
               "value": 121,
               "unit": "mg/dl"
            },
            "relationships": {
              "patient": {
                "data": {
                  "type": "patient",
                  "meta": {
                    "query": {
                      "identifier": {
                        "system": "medical-record-number",
                        "value": "121212"
                      },
                      "organization": "58c4554710123c5c40dbab81"
                    }
                  }
                }
              }
            }
          }
        }
        """;

    private static string Metric(string type, string occurredAt, string patientId = PatientId, object? value = null) => """
        {"type":"patient_health_metric","attributes":{"type":"@TYPE@","occurred_at":"@OCCURRED@","value":@VALUE@,"unit":"kg"},
         "relationships":{"patient":{"data":{"type":"patient","id":"@PATIENT@"}}}}
        """.Replace("@TYPE@", type, StringComparison.Ordinal).Replace("@OCCURRED@", occurredAt, StringComparison.Ordinal)
        .Replace("@VALUE@", Convert.ToString(value ?? 70, System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("@PATIENT@", patientId, StringComparison.Ordinal);

    [Fact]
    public async Task The_specs_example_with_the_patient_by_meta_query_creates_a_metric_for_that_patient()
    {
        var reply = await Post("patient_health_metric", SpecMetaQueryExample);
        reply.AssertOk();
        Assert.Equal("patient_health_metric", (string?)reply.Data["type"]);
        Assert.Equal(24, ((string)reply.Data["id"]!).Length);
        Assert.Equal(PatientId, (string?)reply.Data["relationships"]!["patient"]!["data"]!["id"]);
        Assert.Equal("ldl_cholesterol", (string?)reply.Data["attributes"]!["type"]);
        Assert.Equal(Time.GetUtcNow(), DateTimeOffset.Parse((string)reply.Data["attributes"]!["created_at"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_meta_query_without_an_organization_searches_the_tokens_organization_and_two_matches_there_are_409()
    {
        // medical-record-number 121212 exists in both seeded organizations: each token finds its own patient.
        var body = """
            {"data":{"type":"patient_health_metric","attributes":{"type":"weight","occurred_at":"2017-03-14T11:00:57.000Z","value":80},
             "relationships":{"patient":{"data":{"type":"patient","meta":{"query":{"identifier":{"system":"medical-record-number","value":"121212"}}}}}}}}
            """;
        var mine = await Post("patient_health_metric", body);
        mine.AssertOk();
        Assert.Equal(PatientId, (string?)mine.Data["relationships"]!["patient"]!["data"]!["id"]);
        var theirs = await Send(HttpMethod.Post, "patient_health_metric", body, await SecondOrgTokenAsync());
        theirs.AssertOk();
        Assert.Equal(SecondOrgPatientId, (string?)theirs.Data["relationships"]!["patient"]!["data"]!["id"]);

        // A second patient of the same organization with that identifier (unique: false) makes the query ambiguous.
        (await Post("patient", """
            {"data":{"type":"patient","attributes":{"first_name":"Twin","identifiers":[{"system":"medical-record-number","value":"121212","unique":false}]},
             "relationships":{"groups":{"data":[{"type":"group","id":"GROUP"}]}}}}
            """.Replace("GROUP", PatientsLeadGroupId, StringComparison.Ordinal))).AssertOk(HttpStatusCode.Created);
        var reply = await Post("patient_health_metric", body.Replace("2017-03-14T11", "2017-03-15T11", StringComparison.Ordinal));
        reply.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/patient/data/meta/query");
    }

    [Fact]
    public async Task A_meta_query_matching_no_patient_is_409_on_the_query()
    {
        var reply = await Post("patient_health_metric", SpecMetaQueryExample.Replace("121212", "no-such-mrn", StringComparison.Ordinal));
        reply.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/patient/data/meta/query");
    }

    [Fact]
    public async Task An_unknown_patient_id_is_409_on_the_patient_id()
    {
        var reply = await Post("patient_health_metric", $$"""{"data":{{Metric("weight", "2024-05-01T07:00:00Z", "000000000000000000000000")}}}""");
        reply.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/patient/data/id");
    }

    [Fact]
    public async Task An_array_of_metrics_creates_them_all_with_distinct_ids()
    {
        var body = $$"""{"data":[{{Metric("weight", "2025-01-01T07:00:00Z")}},{{Metric("heart_rate", "2025-01-01T07:00:00Z")}},{{Metric("weight", "2025-01-02T07:00:00Z", SecondPatientId)}}]}""";
        var reply = await Post("patient_health_metric", body);
        reply.AssertOk();
        Assert.Equal(3, reply.DataArray.Count);
        Assert.Equal(3, reply.Ids.Distinct().Count());
        Assert.Null(reply.Body["meta"]!["ignored"]);

        var list = await Get($"patient_health_metric?filter[patient]={SecondPatientId}&page[size]=50");
        Assert.Contains(reply.Ids[2], list.Ids);
    }

    [Fact]
    public async Task A_duplicate_without_ignore_duplicates_is_409_and_the_bulk_writes_nothing()
    {
        (await Post("patient_health_metric", $$"""{"data":{{Metric("weight", "2025-02-01T07:00:00Z")}}}""")).AssertOk();
        var before = (int)(await Get($"patient_health_metric?filter[patient]={PatientId}&page[size]=0")).Body["meta"]!["count"]!;

        // Same patient + type + instant (written with another offset) is a duplicate.
        var body = $$"""{"data":[{{Metric("weight", "2025-02-03T07:00:00Z")}},{{Metric("weight", "2025-02-01T08:00:00+01:00")}}]}""";
        var reply = await Post("patient_health_metric", body);
        reply.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/1/attributes/occurred_at");

        var after = (int)(await Get($"patient_health_metric?filter[patient]={PatientId}&page[size]=0")).Body["meta"]!["count"]!;
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task With_ignore_duplicates_repeats_are_skipped_and_listed_in_meta_ignored()
    {
        var first = await Post("patient_health_metric", $$"""{"data":[{{Metric("weight", "2025-03-01T07:00:00Z")}},{{Metric("weight", "2025-03-02T07:00:00Z")}}]}""");
        first.AssertOk();

        var body = $$"""
            {"meta":{"ignore_duplicates":true},
             "data":[{{Metric("weight", "2025-03-01T07:00:00Z", value: 99)}},{{Metric("weight", "2025-03-03T07:00:00Z")}},{{Metric("heart_rate", "2025-03-02T07:00:00Z")}},{{Metric("weight", "2025-03-02T07:00:00.000Z")}}]}
            """;
        var reply = await Post("patient_health_metric", body);
        reply.AssertOk();
        Assert.Equal(2, reply.DataArray.Count);
        Assert.Equal(["weight", "heart_rate"], reply.DataArray.Select(d => (string)d!["attributes"]!["type"]!).ToList());
        var ignored = reply.Body["meta"]!["ignored"]!.AsArray().Select(i => (string)i!).ToList();
        Assert.Equal(first.Ids, ignored);
    }

    [Fact]
    public async Task With_ignore_duplicates_a_single_repeat_answers_with_the_existing_metric()
    {
        var first = await Post("patient_health_metric", $$"""{"data":{{Metric("weight", "2025-04-01T07:00:00Z")}}}""");
        var again = await Post("patient_health_metric", $$"""{"meta":{"ignore_duplicates":true},"data":{{Metric("weight", "2025-04-01T07:00:00Z")}}}""");
        again.AssertOk();
        Assert.Equal((string?)first.Data["id"], (string?)again.Data["id"]);
        Assert.Equal((string?)first.Data["id"], (string?)again.Body["meta"]!["ignored"]![0]);
    }

    [Theory]
    [InlineData("""{"type":"steps","occurred_at":"2025-01-01T00:00:00Z","value":1}""", "/data/attributes/type")]
    [InlineData("""{"occurred_at":"2025-01-01T00:00:00Z","value":1}""", "/data/attributes/type")]
    [InlineData("""{"type":"weight","value":1}""", "/data/attributes/occurred_at")]
    [InlineData("""{"type":"weight","occurred_at":"yesterday","value":1}""", "/data/attributes/occurred_at")]
    [InlineData("""{"type":"weight","occurred_at":"2025-01-01T00:00:00","value":1}""", "/data/attributes/occurred_at")]
    [InlineData("""{"type":"weight","occurred_at":"2025-01-01T00:00:00Z"}""", "/data/attributes/value")]
    [InlineData("""{"type":"weight","occurred_at":"2025-01-01T00:00:00Z","value":1,"unit":5}""", "/data/attributes/unit")]
    [InlineData("""{"type":"weight","occurred_at":"2025-01-01T00:00:00Z","value":1,"code":{"system":"LOINC"}}""", "/data/attributes/code/value")]
    public async Task An_invalid_or_missing_metric_attribute_is_409_pointing_at_it(string attributes, string pointer)
    {
        var body = """{"data":{"type":"patient_health_metric","attributes":@ATTRIBUTES@,"relationships":{"patient":{"data":{"type":"patient","id":"@PATIENT@"}}}}}"""
            .Replace("@ATTRIBUTES@", attributes, StringComparison.Ordinal).Replace("@PATIENT@", PatientId, StringComparison.Ordinal);
        (await Post("patient_health_metric", body)).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: pointer);
    }

    [Fact]
    public async Task Parallel_repeats_with_ignore_duplicates_create_exactly_one_metric()
    {
        var token = await NewTokenAsync();
        var body = $$"""{"meta":{"ignore_duplicates":true},"data":[{{Metric("body_temperature", "2025-05-05T05:05:05Z")}}]}""";
        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Send(HttpMethod.Post, "patient_health_metric", body, token)));

        Assert.All(replies, r => r.AssertOk());
        Assert.Equal(1, replies.Sum(r => r.DataArray.Count));
        Assert.Equal(15, replies.Count(r => r.Body["meta"]!["ignored"] is not null));
        var created = replies.Single(r => r.DataArray.Count == 1).Ids[0];
        Assert.All(replies.Where(r => r.Body["meta"]!["ignored"] is not null), r => Assert.Equal(created, (string?)r.Body["meta"]!["ignored"]![0]));
    }

    [Fact]
    public async Task Listing_metrics_without_a_scope_filter_is_409()
    {
        (await Get("patient_health_metric")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[patient]");
    }

    [Fact]
    public async Task Metrics_are_listed_by_patient_group_or_organization()
    {
        var byPatient = await Get($"patient_health_metric?filter[patient]={SecondPatientId}");
        byPatient.AssertOk();
        Assert.All(byPatient.DataArray, m => Assert.Equal(SecondPatientId, (string?)m!["relationships"]!["patient"]!["data"]!["id"]));
        Assert.Contains("5a5000000000000000000009", byPatient.Ids);

        var byGroup = await Get($"patient_health_metric?filter[groups]={TeamHealthGroupId}&page[size]=50");
        Assert.Contains("5a5000000000000000000001", byGroup.Ids);
        Assert.DoesNotContain("5a5000000000000000000009", byGroup.Ids);

        var otherOrg = await Get($"patient_health_metric?filter[organization]={SecondOrganizationId}");
        Assert.Equal(0, (int)otherOrg.Body["meta"]!["count"]!);
    }
}
