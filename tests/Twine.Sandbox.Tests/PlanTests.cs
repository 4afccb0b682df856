using System.Net;

namespace Twine.Sandbox.Tests;

public sealed class PlanTests : SandboxHost
{
    [Fact]
    public async Task The_specs_create_action_example_creates_an_action_in_its_bundle()
    {
        // CreateActionRequest example.
        var reply = await Post("action", """
            {
              "data": {
                "type": "action",
                "attributes": {
                  "effective_from": "2017-02-20T11:12:13.000Z",
                  "title": "Record Blood Pressure",
                  "type": "blood_pressure",
                  "frequency_goal": {
                      "weeks": {
                        "days": [0]
                      }
                    },
                  "metrics": [
                    {
                      "metric_type": "blood_pressure",
                      "unit": "mmHg",
                      "goal": {
                        "data": {
                          "systolic": {
                            "value": 150,
                            "unit": "mmHg"
                          },
                          "diastolic": {
                            "value": 95,
                            "unit": "mmHg"
                          }
                        }
                      }
                    }
                  ]
                },
                "relationships": {
                  "plan": {
                    "data": {
                      "type": "patient_plan_summary",
                      "id": "58aacf0d076adcef394bac35"
                    }
                  },
                  "bundles": {
                    "data": [
                      {
                        "type": "bundle",
                        "id": "58aacf0d076adcef394bac30"
                      }
                    ]
                  }
                }
              }
            }
            """);
        reply.AssertOk(HttpStatusCode.Created);
        var id = (string)reply.Data["id"]!;
        Assert.Equal("58aacf0d076adcef394bac30", (string?)reply.Data["relationships"]!["bundles"]!["data"]![0]!["id"]);
        var fetched = await Get($"action/{id}");
        Assert.Equal("Record Blood Pressure", (string?)fetched.Data["attributes"]!["title"]);
    }

    [Fact]
    public async Task An_action_update_moves_updated_at_keeps_created_at_and_refuses_bad_values_and_unknown_ids()
    {
        const string id = "59653f699fc8be3938f04491";
        Time.Advance(TimeSpan.FromMinutes(3));
        var reply = await Patch($"action/{id}", Update("action", id, """{"title":"Weigh in","effective_to":"2025-01-01T00:00:00Z"}"""));
        reply.AssertOk();
        Assert.Equal("Weigh in", (string?)reply.Data["attributes"]!["title"]);
        Assert.Equal("2025-06-02T12:03:00.000Z", (string?)reply.Data["attributes"]!["updated_at"]);
        Assert.Equal("2024-01-15T09:00:00.000Z", (string?)reply.Data["attributes"]!["created_at"]);

        (await Patch($"action/{id}", Update("action", id, """{"title":""}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/title");
        (await Patch($"action/{id}", Update("action", id, """{"effective_from":"soon"}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/effective_from");
        (await Patch($"action/{id}", Update("action", id, """{"frequency_goal":{"weeks":{"days":[7]}}}""")))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/frequency_goal/weeks/days/0");
        (await Patch("action/000000000000000000000000", Update("action", "000000000000000000000000", "{}"))).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Theory]
    [InlineData("""{"title":"T","effective_from":"2025-01-01T00:00:00Z"}""", "/data/attributes/type")]
    [InlineData("""{"type":"weight","effective_from":"2025-01-01T00:00:00Z"}""", "/data/attributes/title")]
    [InlineData("""{"type":"weight","title":"T"}""", "/data/attributes/effective_from")]
    [InlineData("""{"type":"weight","title":"T","effective_from":"2025-01-01T00:00:00Z","tracking":"yes"}""", "/data/attributes/tracking")]
    public async Task An_action_missing_a_required_attribute_or_with_an_invalid_one_is_409_pointing_at_it(string attributes, string pointer)
    {
        (await Post("action", """{"data":{"type":"action","attributes":@A@}}""".Replace("@A@", attributes, StringComparison.Ordinal)))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: pointer);
    }

    [Fact]
    public async Task A_bundle_is_created_with_200_fetched_and_updated_and_one_with_an_unknown_action_is_409()
    {
        var created = await Post("bundle", """
            {"data":{"type":"bundle","attributes":{"type":"weight","title":"Weight","effective_from":"2025-01-01T00:00:00Z"},
             "relationships":{"actions":{"data":[{"type":"action","id":"59653f699fc8be3938f04491"}]}}}}
            """);
        created.AssertOk(HttpStatusCode.OK);
        var id = (string)created.Data["id"]!;
        (await Get($"bundle/{id}")).AssertOk();

        var updated = await Patch($"bundle/{id}", Update("bundle", id, """{"title":"Weight loss"}"""));
        Assert.Equal("Weight loss", (string?)updated.Data["attributes"]!["title"]);

        (await Post("bundle", """{"data":{"type":"bundle","attributes":{"type":"x","title":"X","effective_from":"2025-01-01T00:00:00Z"},"relationships":{"actions":{"data":[{"type":"action","id":"000000000000000000000000"}]}}}}"""))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/relationships/actions/data/0/id");
        (await Get("bundle/000000000000000000000000")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Get("bundle/596535d9608f63d531b7e34a")).AssertOk();
    }
}
