using System.Net;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

public sealed class PatientTests : SandboxHost
{
    private static string NewPatient(string first, string mrn, string group = PatientsLeadGroupId) => new JsonObject
    {
        ["data"] = new JsonObject
        {
            ["type"] = "patient",
            ["attributes"] = new JsonObject
            {
                ["first_name"] = first,
                ["last_name"] = "Fakename",
                ["identifiers"] = new JsonArray(new JsonObject { ["system"] = "medical-record-number", ["value"] = mrn }),
            },
            ["relationships"] = new JsonObject
            {
                ["groups"] = new JsonObject { ["data"] = new JsonArray(new JsonObject { ["type"] = "group", ["id"] = group }) },
            },
        },
    }.ToJsonString();

    [Fact]
    public async Task The_specs_create_example_creates_an_active_patient_in_its_group_without_identifiers_or_coaches()
    {
        // CreatePatientRequest example.
        var reply = await Post("patient", """
            {
              "data": {
                "type": "patient",
                "attributes": {
                  "first_name": "Jack",
                  "last_name": "Frost"
                },
                "relationships": {
                  "groups": {
                    "data": [{
                      "type": "group",
                      "id": "5755db2a3db4179179999acf"
                    }]
                  }
                }
              }
            }
            """);
        reply.AssertOk(HttpStatusCode.Created);
        Assert.Equal("Jack", (string?)reply.Data["attributes"]!["first_name"]);
        Assert.False((bool)reply.Data["attributes"]!["archived"]!);
        Assert.Empty(reply.Data["attributes"]!["identifiers"]!.AsArray());
        Assert.Empty(reply.Data["relationships"]!["coaches"]!["data"]!.AsArray());
        Assert.Equal(PatientsLeadGroupId, (string?)reply.Data["relationships"]!["groups"]!["data"]![0]!["id"]);
    }

    [Fact]
    public async Task The_specs_group_by_meta_query_example_puts_the_patient_in_the_named_group_of_that_organization()
    {
        // The createPatient description's example: the group by meta.query {organization, name}. Its organization is
        // the seed's second one, so the example is sent with that organization's credentials.
        var reply = await Send(HttpMethod.Post, "patient", """
            {
              "data": {
                "type": "patient",
                "attributes": {
                  "first_name": "Andrew",
                  "last_name": "Smith"
                },
                "relationships": {
                  "groups": {
                    "data": [
                      {
                        "type": "group",
                        "meta": {
                          "query": {
                            "organization": "58c88de7c93eb96357a87033",
                            "name": "Patients Lead"
                          }
                        }
                      }
                    ]
                  }
                }
              }
            }
            """, await SecondOrgTokenAsync());
        reply.AssertOk(HttpStatusCode.Created);
        Assert.Equal(SecondOrgPatientsLeadGroupId, (string?)reply.Data["relationships"]!["groups"]!["data"]![0]!["id"]);
    }

    [Fact]
    public async Task A_group_meta_query_matching_no_group_creates_it_and_one_of_an_unknown_organization_is_409()
    {
        var body = """
            {"data":{"type":"patient","attributes":{"first_name":"New"},
             "relationships":{"groups":{"data":[{"type":"group","meta":{"query":{"organization":"58c4554710123c5c40dbab81","name":"Brand New Cohort"}}}]}}}}
            """;
        var reply = await Post("patient", body);
        reply.AssertOk(HttpStatusCode.Created);
        var groupId = (string)reply.Data["relationships"]!["groups"]!["data"]![0]!["id"]!;
        var group = await Get($"group/{groupId}");
        Assert.Equal("Brand New Cohort", (string?)group.Data["attributes"]!["name"]);

        (await Post("patient", body.Replace("58c4554710123c5c40dbab81", "000000000000000000000000", StringComparison.Ordinal)))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/groups/data/0/meta/query/organization");
    }

    [Fact]
    public async Task A_failed_bulk_create_writes_nothing_not_even_a_group_named_by_meta_query()
    {
        var good = """{"type":"patient","attributes":{"first_name":"Ok"},"relationships":{"groups":{"data":[{"type":"group","meta":{"query":{"organization":"58c4554710123c5c40dbab81","name":"Rollback Cohort"}}}]}}}""";
        var bad = """{"type":"patient","attributes":{"gender":"robot"},"relationships":{"groups":{"data":[{"type":"group","id":"5755db2a3db4179179999acf"}]}}}""";
        (await Post("patient", "{\"data\":[" + good + "," + bad + "]}"))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/1/attributes/gender");

        var groups = await Get($"group?filter[organization]={OrganizationId}&filter[name]=Rollback%20Cohort");
        Assert.Empty(groups.DataArray);
        var patients = await Get($"patient?filter[organization]={OrganizationId}&page[size]=50");
        Assert.DoesNotContain(patients.DataArray, p => (string?)p!["attributes"]!["first_name"] == "Ok");
    }

    [Fact]
    public async Task A_duplicate_identifier_is_409_on_the_identifier()
    {
        (await Post("patient", NewPatient("Dup", "555001"))).AssertOk(HttpStatusCode.Created);
        (await Post("patient", NewPatient("Dup", "555001")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/identifiers/0");
    }

    [Fact]
    public async Task A_bulk_create_with_ignore_duplicates_creates_the_new_patients_and_lists_the_existing_ones_as_ignored()
    {
        var first = await Post("patient", NewPatient("Bulk", "555100"));
        var a = JsonNode.Parse(NewPatient("BulkA", "555100"))!["data"]!;
        var b = JsonNode.Parse(NewPatient("BulkB", "555101"))!["data"]!;
        var body = new JsonObject { ["meta"] = new JsonObject { ["ignore_duplicates"] = true }, ["data"] = new JsonArray(a.DeepClone(), b.DeepClone()) }.ToJsonString();

        var reply = await Post("patient", body);
        reply.AssertOk(HttpStatusCode.Created);
        Assert.Single(reply.DataArray);
        Assert.Equal("BulkB", (string?)reply.DataArray[0]!["attributes"]!["first_name"]);
        Assert.Equal((string?)first.Data["id"], (string?)reply.Body["meta"]!["ignored"]![0]);
    }

    [Theory]
    [InlineData("""{"first_name":5}""", "/data/attributes/first_name")]
    [InlineData("""{"birth_date":"03/06/1944"}""", "/data/attributes/birth_date")]
    [InlineData("""{"gender":"robot"}""", "/data/attributes/gender")]
    [InlineData("""{"email_address":"not-an-email"}""", "/data/attributes/email_address")]
    [InlineData("""{"identifiers":[{"system":"x"}]}""", "/data/attributes/identifiers/0/value")]
    [InlineData("""{"phone_numbers":[{"type":"pager","value":"1","primary":true}]}""", "/data/attributes/phone_numbers/0/type")]
    public async Task An_invalid_patient_attribute_is_409_pointing_at_it(string attributes, string pointer)
    {
        var body = """{"data":{"type":"patient","attributes":@ATTRIBUTES@,"relationships":{"groups":{"data":[{"type":"group","id":"5755db2a3db4179179999acf"}]}}}}"""
            .Replace("@ATTRIBUTES@", attributes, StringComparison.Ordinal);
        (await Post("patient", body)).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: pointer);
    }

    [Fact]
    public async Task A_patient_without_groups_or_with_an_unknown_group_is_409()
    {
        (await Post("patient", """{"data":{"type":"patient","attributes":{"first_name":"Lonely"}}}"""))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/groups");
        (await Post("patient", """{"data":{"type":"patient","attributes":{},"relationships":{"groups":{"data":[{"type":"group","id":"000000000000000000000000"}]}}}}"""))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/groups/data/0/id");
    }

    [Fact]
    public async Task The_specs_update_example_changes_the_name_and_updated_at_and_keeps_the_rest()
    {
        var created = await Post("patient", NewPatient("Jack", "555200"));
        var id = (string)created.Data["id"]!;
        Assert.Equal("2025-06-02T12:00:00.000Z", (string?)created.Data["attributes"]!["updated_at"]);
        Time.Advance(TimeSpan.FromHours(2));

        // UpdatePatientRequest example, with this patient's id.
        var reply = await Patch($"patient/{id}", $$"""
            {
              "data": {
                "id": "{{id}}",
                "type": "patient",
                "attributes": {
                  "first_name": "Jonathon"
                }
              }
            }
            """);
        reply.AssertOk();
        Assert.Equal("Jonathon", (string?)reply.Data["attributes"]!["first_name"]);
        Assert.Equal("Fakename", (string?)reply.Data["attributes"]!["last_name"]);
        Assert.Equal("2025-06-02T12:00:00.000Z", (string?)reply.Data["attributes"]!["created_at"]);
        Assert.Equal("2025-06-02T14:00:00.000Z", (string?)reply.Data["attributes"]!["updated_at"]);
        Assert.Equal("Jonathon", (string?)(await Get($"patient/{id}")).Data["attributes"]!["first_name"]);
    }

    [Fact]
    public async Task Updating_an_unknown_patient_is_404_and_a_wrong_type_bad_attribute_or_taken_identifier_is_409()
    {
        (await Patch("patient/000000000000000000000000", Update("patient", "000000000000000000000000", """{"first_name":"X"}""")))
            .AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Patch($"patient/{PatientId}", Update("coach", PatientId, """{"first_name":"X"}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/type");
        (await Patch($"patient/{PatientId}", Update("patient", PatientId, """{"gender":"robot"}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/gender");
        (await Patch($"patient/{SecondPatientId}", Update("patient", SecondPatientId, """{"identifiers":[{"system":"medical-record-number","value":"121212"}]}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/identifiers/0");
    }

    [Fact]
    public async Task A_patient_its_groups_and_its_coaches_are_fetched_and_an_unknown_patient_is_404_on_each()
    {
        var patient = await Get($"patient/{PatientId}");
        patient.AssertOk();
        Assert.Equal("121212", (string?)patient.Data["attributes"]!["identifiers"]![0]!["value"]);
        Assert.Equal($"/pub/patient/{PatientId}/groups", (string?)patient.Data["relationships"]!["groups"]!["links"]!["related"]);
        Assert.Equal($"/pub/patient/{PatientId}/coaches", (string?)patient.Data["relationships"]!["coaches"]!["links"]!["related"]);

        var groups = await Get($"patient/{PatientId}/groups");
        groups.AssertOk();
        Assert.Equal([PatientsLeadGroupId, TeamHealthGroupId], groups.Ids);
        Assert.Equal(2, (int)groups.Body["meta"]!["count"]!);

        var coaches = await Get($"patient/{PatientId}/coaches");
        Assert.Equal([CoachId], coaches.Ids);
        Assert.Equal("coach", (string?)coaches.DataArray[0]!["type"]);

        (await Get("patient/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Get("patient/000000000000000000000000/groups")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Get("patient/000000000000000000000000/coaches")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }
}

/// <summary>Patient list filters over the seed (no writes in this class).</summary>
public sealed class PatientListTests : SandboxHost
{
    [Fact]
    public async Task Listing_patients_without_a_groups_or_organization_filter_is_409()
    {
        (await Get("patient")).AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[groups]");
    }

    [Fact]
    public async Task Patients_are_found_by_identifier_in_the_tokens_organization_and_a_system_without_a_value_is_409()
    {
        var reply = await Get($"patient?filter[organization]={OrganizationId}&filter[identifier][system]=medical-record-number&filter[identifier][value]=121212");
        reply.AssertOk();
        Assert.Equal([PatientId], reply.Ids);

        var other = await Send(HttpMethod.Get, $"patient?filter[organization]={SecondOrganizationId}&filter[identifier][system]=medical-record-number&filter[identifier][value]=121212",
            token: await SecondOrgTokenAsync());
        Assert.Equal([SecondOrgPatientId], other.Ids);

        (await Get($"patient?filter[organization]={OrganizationId}&filter[identifier][system]=medical-record-number"))
            .AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[identifier][value]");
    }

    [Fact]
    public async Task Patients_are_filtered_on_groups_of_the_tokens_organization_and_on_archived()
    {
        var team = await Get($"patient?filter[groups]={TeamHealthGroupId}&page[size]=50");
        Assert.Equal([PatientId, "5a1000000000000000000002", "5a1000000000000000000005", "5a1000000000000000000008", "5a100000000000000000000b"], team.Ids);

        // A group of another organization adds nothing: lists hold only the token's organization.
        var both = await Get($"patient?filter[groups]={TeamHealthGroupId},{SecondOrgPatientsLeadGroupId}&page[size]=50");
        Assert.Equal(team.Ids, both.Ids);

        var archived = await Get($"patient?filter[organization]={OrganizationId}&filter[archived]=true");
        Assert.Equal(["5a100000000000000000000a", "5a100000000000000000000b"], archived.Ids);
        var active = await Get($"patient?filter[organization]={OrganizationId}&filter[archived]=false&page[size]=0");
        Assert.Equal(10, (int)active.Body["meta"]!["count"]!);

        (await Get($"patient?filter[organization]={OrganizationId}&filter[archived]=1"))
            .AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[archived]");
    }

    [Fact]
    public async Task Patients_are_filtered_on_created_at_and_updated_at_ranges_and_a_bad_range_is_409()
    {
        var created = await Get($"patient?filter[organization]={OrganizationId}&filter[created_at]=2024-01-02T10:00:00Z..2024-01-04T10:00:00Z");
        Assert.Equal(["5a1000000000000000000001", "5a1000000000000000000002"], created.Ids);

        var updated = await Get($"patient?filter[organization]={OrganizationId}&filter[updated_at]=2024-01-12T00:00:00Z..");
        Assert.Equal(["5a100000000000000000000b"], updated.Ids);

        (await Get($"patient?filter[organization]={OrganizationId}&filter[created_at]=last-week"))
            .AssertError(HttpStatusCode.Conflict, "InvalidParameter", parameter: "filter[created_at]");
    }
}
