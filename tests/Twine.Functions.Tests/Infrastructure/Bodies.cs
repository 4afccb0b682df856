using System.Text.Json.Nodes;

namespace Twine.Functions.Tests.Infrastructure;

/// <summary>Request bodies shaped as Twine's spec describes them (written from the spec; nothing read from ../shared).</summary>
public static class Bodies
{
    public static JsonObject Metric(int i = 0) => new()
    {
        ["type"] = "patient_health_metric",
        ["attributes"] = new JsonObject
        {
            ["code"] = new JsonObject { ["system"] = "LOINC", ["value"] = "13457-7" },
            ["type"] = "ldl_cholesterol",
            ["occurred_at"] = $"2017-03-14T11:{i / 60 % 60:D2}:{i % 60:D2}.000Z",
            ["value"] = 100 + i,
            ["unit"] = "mg/dl",
        },
        ["relationships"] = new JsonObject
        {
            ["patient"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = "5817ead56f5316c0d05ba8bf" } },
        },
    };

    public static JsonObject MetricByQuery() => new()
    {
        ["type"] = "patient_health_metric",
        ["attributes"] = new JsonObject
        {
            ["type"] = "weight",
            ["occurred_at"] = "2017-03-14T07:00:57-04:00",
            ["value"] = 81.5,
            ["unit"] = "kg",
        },
        ["relationships"] = new JsonObject
        {
            ["patient"] = new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["type"] = "patient",
                    ["meta"] = new JsonObject
                    {
                        ["query"] = new JsonObject
                        {
                            ["identifier"] = new JsonObject { ["system"] = "medical-record-number", ["value"] = "121212" },
                            ["organization"] = "58c4554710123c5c40dbab81",
                        },
                    },
                },
            },
        },
    };

    public static JsonObject Metrics(int count) =>
        new() { ["data"] = new JsonArray([.. Enumerable.Range(0, count).Select(i => (JsonNode)Metric(i))]) };

    public static JsonObject Document(JsonNode data) => new() { ["data"] = data };

    /// <summary>A valid telephone call: not all-day, same day, ends after it starts.</summary>
    public static JsonObject CalendarEvent(string type = "telephone-call") => new()
    {
        ["data"] = new JsonObject
        {
            ["type"] = "calendar_event",
            ["attributes"] = new JsonObject
            {
                ["type"] = type,
                ["time_zone"] = "America/New_York",
                ["all_day"] = false,
                ["start_at"] = "2018-02-20T14:00:00Z",
                ["end_at"] = "2018-02-20T18:00:00Z",
                ["title"] = "Telephone Call",
                ["attendees"] = new JsonArray(new JsonObject { ["user"] = "5a0c8e27a9d454cc150997c9" }, new JsonObject { ["user"] = "5a0c8e27a9d454cc150997f7" }),
            },
            ["relationships"] = new JsonObject
            {
                ["owner"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = "5a0c8e27a9d454cc150997f7" } },
            },
        },
    };

    /// <summary>A valid plan check-in: all-day, no end, starting at midnight New York time.</summary>
    public static JsonObject PlanCheckIn()
    {
        var body = CalendarEvent("plan-check-in");
        var attributes = body["data"]!["attributes"]!.AsObject();
        attributes["all_day"] = true;
        attributes["start_at"] = "2017-11-03T04:00:00.000Z";
        attributes.Remove("end_at");
        attributes["title"] = "Plan Check-In";
        return body;
    }

    /// <summary>Applies an edit at a slash path ("data/0/attributes/value"); a null value removes the member.</summary>
    public static JsonNode With(this JsonNode body, string path, JsonNode? value, bool remove = false)
    {
        var parts = path.Split('/');
        var node = body;
        foreach (var part in parts[..^1])
        {
            node = int.TryParse(part, out var index) ? node[index]! : node[part]!;
        }

        var last = parts[^1];
        if (remove)
        {
            node.AsObject().Remove(last);
        }
        else if (node is JsonArray array && int.TryParse(last, out var position))
        {
            array[position] = value;
        }
        else
        {
            node[last] = value;
        }

        return body;
    }
}
