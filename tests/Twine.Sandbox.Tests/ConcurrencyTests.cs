using System.Net;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

/// <summary>
/// Requests served in parallel (no store-wide lock) keep every invariant: unique ids, no lost writes, the uniqueness
/// rules (duplicate metrics, patient identifiers, groups found-or-created by meta.query) and consistent paging.
/// Each test races many real requests against one sandbox; none depends on timing to pass.
/// </summary>
public sealed class ConcurrencyTests : SandboxHost
{
    private static string Metric(string occurredAt, bool ignoreDuplicates = false) => new JsonObject
    {
        ["meta"] = ignoreDuplicates ? new JsonObject { ["ignore_duplicates"] = true } : null,
        ["data"] = new JsonObject
        {
            ["type"] = "patient_health_metric",
            ["attributes"] = new JsonObject { ["type"] = "heart_rate", ["occurred_at"] = occurredAt, ["value"] = 60, ["unit"] = "bpm" },
            ["relationships"] = new JsonObject { ["patient"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = SecondPatientId } } },
        },
    }.ToJsonString();

    private static string Patient(string mrn, JsonObject group) => new JsonObject
    {
        ["data"] = new JsonObject
        {
            ["type"] = "patient",
            ["attributes"] = new JsonObject
            {
                ["first_name"] = "Race",
                ["last_name"] = "Fakename",
                ["identifiers"] = new JsonArray(new JsonObject { ["system"] = "medical-record-number", ["value"] = mrn }),
            },
            ["relationships"] = new JsonObject { ["groups"] = new JsonObject { ["data"] = new JsonArray(group) } },
        },
    }.ToJsonString();

    private static JsonObject GroupById(string id) => new() { ["type"] = "group", ["id"] = id };

    private async Task<List<Reply>> All(int count, Func<int, Task<Reply>> send)
    {
        await Get($"organization/{OrganizationId}"); // fetches the class's cached token before the race
        return [.. await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() => send(i), Ct)))];
    }

    [Fact]
    public async Task Two_hundred_parallel_metric_creates_get_distinct_ids_each_listed_exactly_once()
    {
        var before = (int)(await Get($"patient_health_metric?filter[patient]={SecondPatientId}&page[size]=0")).AssertOk().Body["meta"]!["count"]!;
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var replies = await All(200, i => Post("patient_health_metric", Metric(JsonApiTime(start.AddMinutes(i)))));

        var ids = replies.Select(r => (string)r.AssertOk().Data["id"]!).ToList();
        Assert.Equal(200, ids.Distinct(StringComparer.Ordinal).Count());

        // Cursor paging over the list meets every one of them exactly once.
        var listed = new List<string>();
        var next = $"patient_health_metric?filter[patient]={SecondPatientId}&page[limit]=37";
        while (next is not null)
        {
            var page = (await Get(next)).AssertOk();
            listed.AddRange(page.Ids);
            next = (string?)page.Body["links"]?["next"] is { } link ? link["/pub/".Length..] : null;
        }

        Assert.Equal(before + 200, listed.Count);
        Assert.Equal(listed.Count, listed.Distinct(StringComparer.Ordinal).Count());
        Assert.Superset(ids.ToHashSet(StringComparer.Ordinal), listed.ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Of_parallel_creates_of_one_metric_exactly_one_succeeds_and_the_others_are_409()
    {
        var replies = await All(50, _ => Post("patient_health_metric", Metric("2025-02-01T08:00:00Z")));
        Assert.Single(replies, r => r.Status == HttpStatusCode.OK);
        foreach (var refused in replies.Where(r => r.Status != HttpStatusCode.OK))
        {
            refused.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/occurred_at");
        }
    }

    [Fact]
    public async Task Parallel_creates_of_one_metric_with_ignore_duplicates_all_answer_with_the_one_created()
    {
        // The same instant written in two offsets is one metric.
        var replies = await All(50, i => Post("patient_health_metric", Metric(i % 2 == 0 ? "2025-02-01T09:00:00Z" : "2025-02-01T10:00:00+01:00", ignoreDuplicates: true)));
        var ids = replies.Select(r => (string)r.AssertOk().Data["id"]!).Distinct(StringComparer.Ordinal).ToList();
        var created = Assert.Single(ids);
        Assert.Equal(49, replies.Count(r => (string?)r.Body["meta"]?["ignored"]?[0] == created));
    }

    [Fact]
    public async Task Of_parallel_patient_creates_with_one_identifier_exactly_one_succeeds()
    {
        var replies = await All(40, _ => Post("patient", Patient("race-1", GroupById(PatientsLeadGroupId))));
        Assert.Single(replies, r => r.Status == HttpStatusCode.Created);
        foreach (var refused in replies.Where(r => r.Status != HttpStatusCode.Created))
        {
            refused.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/identifiers/0");
        }

        var found = (await Get($"patient?filter[organization]={OrganizationId}&filter[identifier][system]=medical-record-number&filter[identifier][value]=race-1")).AssertOk();
        Assert.Single(found.Ids);
    }

    [Fact]
    public async Task Parallel_patient_creates_naming_a_new_group_by_meta_query_create_the_group_once()
    {
        var group = new JsonObject
        {
            ["type"] = "group",
            ["meta"] = new JsonObject { ["query"] = new JsonObject { ["organization"] = OrganizationId, ["name"] = "Raced Group" } },
        };
        var replies = await All(30, i => Post("patient", Patient($"race-group-{i}", (JsonObject)group.DeepClone())));
        var groups = replies.Select(r => (string)r.AssertOk(HttpStatusCode.Created).Data["relationships"]!["groups"]!["data"]![0]!["id"]!).Distinct().ToList();
        Assert.Single(groups);
        var listed = (await Get($"group?filter[organization]={OrganizationId}&filter[name]=Raced%20Group")).AssertOk();
        Assert.Equal(groups, listed.Ids);
    }

    [Fact]
    public async Task Parallel_calendar_event_updates_of_different_attributes_lose_no_write()
    {
        // Each round: five PATCHes of one event at once, each changing another attribute; all five must land.
        for (var round = 0; round < 10; round++)
        {
            var created = await Post("calendar_event", """
                {"data":{"type":"calendar_event","attributes":{"type":"telephone-call","title":"T","all_day":false,
                  "start_at":"2025-03-05T14:00:00Z","attendees":[]},
                  "relationships":{"owner":{"data":{"type":"patient","id":"@OWNER@"}}}}}
                """.Replace("@OWNER@", PatientId, StringComparison.Ordinal));
            var id = (string)created.AssertOk(HttpStatusCode.Created).Data["id"]!;
            var changes = new[]
            {
                """{"location":"Room 1"}""", """{"description":"About"}""", """{"end_at":"2025-03-05T15:00:00Z"}""",
                """{"time_zone":"Europe/Paris"}""", """{"title":"Renamed"}""",
            };
            var replies = await Task.WhenAll(changes.Select(c => Task.Run(() => Patch($"calendar_event/{id}", Update("calendar_event", id, c)), Ct)));
            Assert.All(replies, r => r.AssertOk());

            var stored = (await Get($"calendar_event/{id}")).AssertOk().Data["attributes"]!;
            Assert.Equal("Room 1", (string?)stored["location"]);
            Assert.Equal("About", (string?)stored["description"]);
            Assert.Equal("2025-03-05T15:00:00Z", (string?)stored["end_at"]);
            Assert.Equal("Europe/Paris", (string?)stored["time_zone"]);
            Assert.Equal("Renamed", (string?)stored["title"]);
        }
    }

    [Fact]
    public async Task Parallel_patient_updates_of_different_attributes_lose_no_write()
    {
        var changes = new[] { """{"first_name":"A"}""", """{"last_name":"B"}""", """{"note":"C"}""", """{"gender":"other"}""", """{"birth_date":"1980-01-02"}""" };
        var replies = await All(changes.Length, i => Patch($"patient/{SecondPatientId}", Update("patient", SecondPatientId, changes[i])));
        Assert.All(replies, r => r.AssertOk());
        var stored = (await Get($"patient/{SecondPatientId}")).AssertOk().Data["attributes"]!;
        Assert.Equal(("A", "B", "C", "other", "1980-01-02"),
            ((string?)stored["first_name"], (string?)stored["last_name"], (string?)stored["note"], (string?)stored["gender"], (string?)stored["birth_date"]));
    }

    [Fact]
    public async Task Of_parallel_deletes_of_one_event_one_succeeds_and_the_others_are_404()
    {
        var created = await Post("calendar_event", """
            {"data":{"type":"calendar_event","attributes":{"type":"reminder","title":"R","all_day":true,"start_at":"2025-03-05T00:00:00Z","attendees":[]},
              "relationships":{"owner":{"data":{"type":"patient","id":"5a0c8e27a9d454cc150997f7"}}}}}
            """);
        var id = (string)created.AssertOk(HttpStatusCode.Created).Data["id"]!;
        var replies = await All(20, _ => Send(HttpMethod.Delete, $"calendar_event/{id}"));
        Assert.Single(replies, r => r.Status == HttpStatusCode.OK);
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.OK), r => r.AssertError(HttpStatusCode.NotFound, "ResourceNotFound"));
    }

    private static string JsonApiTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
