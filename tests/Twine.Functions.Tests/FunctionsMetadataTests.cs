using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests;

/// <summary>
/// The Functions host is not on this machine, so `func start` is checked from what it reads: the functions.metadata
/// the Worker SDK generated at build, host.json and local.settings.sample.json, against what the code declares.
/// </summary>
public class FunctionsMetadataTests
{
    private static readonly JsonArray Metadata = JsonNode.Parse(File.ReadAllText(RepoPaths.BuildOutput("functions.metadata")))!.AsArray();
    private static readonly JsonObject SampleValues = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("local.settings.sample.json")))!["Values"]!.AsObject();
    private static readonly JsonNode HostJson = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("host.json")))!;

    /// <summary>The HTTP API as documented in docs/INGESTION-API.md and the README.</summary>
    public static TheoryData<string, string, string> HttpFunctions => new()
    {
        { "IngestMetrics", "post", "metrics" },
        { "IngestCalendarEvent", "put", "calendar-events/{externalId}" },
        { "DeleteCalendarEvent", "delete", "calendar-events/{externalId}" },
        { "GetIngestionStatus", "get", "ingestions/{id}" },
        { "Health", "get", "health" },
        { "GetEmailHistory", "get", "email-history" },
        { "GetCalendarEvent", "get", "calendar-events/{externalId}" },
    };

    /// <summary>Queue triggers: the queue name comes from an app setting, the connection is TwineStorage.</summary>
    public static TheoryData<string, string> QueueFunctions => new()
    {
        { "ProcessMetrics", "%Storage:MetricsQueue%" },
        { "ProcessCalendarEvents", "%Storage:CalendarEventsQueue%" },
        { "RecordPoisonMetrics", "%Storage:MetricsQueue%-poison" },
        { "RecordPoisonCalendarEvents", "%Storage:CalendarEventsQueue%-poison" },
    };

    private static JsonObject Function(string name) =>
        Metadata.Select(f => f!.AsObject()).SingleOrDefault(f => f["name"]!.GetValue<string>() == name)
        ?? throw new Xunit.Sdk.XunitException($"{name} is not in functions.metadata");

    private static JsonObject Trigger(JsonObject function) =>
        function["bindings"]!.AsArray().Select(b => b!.AsObject()).Single(b => b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));

    [Fact]
    public void Every_function_in_the_code_is_in_the_metadata_and_nothing_else()
    {
        var declared = typeof(FunctionsAppSetup).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()
            .Order();
        var generated = Metadata.Select(f => f!["name"]!.GetValue<string>()).Order();

        Assert.Equal(declared, generated);
    }

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void Http_functions_have_their_route_method_and_function_key(string name, string method, string route)
    {
        var trigger = Trigger(Function(name));

        Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Function", trigger["authLevel"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(QueueFunctions))]
    public void Queue_functions_listen_on_their_queue_through_the_storage_connection(string name, string queueName)
    {
        var trigger = Trigger(Function(name));

        Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal(queueName, trigger["queueName"]!.GetValue<string>());
        Assert.Equal("TwineStorage", trigger["connection"]!.GetValue<string>());
    }

    [Fact]
    public void The_poll_timer_reads_its_schedule_from_a_setting_and_does_not_run_on_start_up()
    {
        var trigger = Trigger(Function("PollTwineUpdates"));

        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("%PollTwineUpdates:Schedule%", trigger["schedule"]!.GetValue<string>());
        Assert.False(trigger["runOnStartup"]?.GetValue<bool>() ?? false);
        Assert.Equal("0 */5 * * * *", SampleValues["PollTwineUpdates__Schedule"]!.GetValue<string>());
    }

    [Fact]
    public void No_two_http_functions_answer_the_same_route_and_method()
    {
        var pairs = Metadata.Select(f => Trigger(f!.AsObject()))
            .Where(t => t["type"]!.GetValue<string>() == "httpTrigger")
            .SelectMany(t => t["methods"]!.AsArray().Select(m => $"{m!.GetValue<string>()} {t["route"]!.GetValue<string>()}"))
            .ToList();

        Assert.Equal(pairs.Count, pairs.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Queue_triggers_use_settings_the_sample_defines_with_the_apps_defaults()
    {
        var defaults = new StorageOptions();
        var known = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Storage:MetricsQueue"] = defaults.MetricsQueue,
            ["Storage__MetricsQueue"] = defaults.MetricsQueue,
            ["Storage:CalendarEventsQueue"] = defaults.CalendarEventsQueue,
            ["Storage__CalendarEventsQueue"] = defaults.CalendarEventsQueue,
        };

        foreach (var trigger in Metadata.Select(f => Trigger(f!.AsObject())).Where(t => t["type"]!.GetValue<string>() == "queueTrigger"))
        {
            // The connection names a setting the sample defines (a connection string locally, service URIs in Azure).
            var connection = trigger["connection"]!.GetValue<string>();
            Assert.Equal("TwineStorage", connection);
            Assert.True(SampleValues.ContainsKey(connection), $"local.settings.sample.json lacks {connection}");

            // The queue name is an app-setting expression the sample resolves to the name the app writes to.
            var queueName = trigger["queueName"]!.GetValue<string>();
            var resolved = System.Text.RegularExpressions.Regex.Replace(queueName, "%([^%]+)%", m =>
            {
                var setting = m.Groups[1].Value;
                var sampleKey = setting.Replace(":", "__", StringComparison.Ordinal);
                Assert.True(SampleValues.ContainsKey(sampleKey), $"local.settings.sample.json lacks {sampleKey} used by {queueName}");
                var value = SampleValues[sampleKey]!.GetValue<string>();
                if (known.TryGetValue(setting, out var appDefault))
                {
                    Assert.Equal(appDefault, value);
                }

                return value;
            });
            Assert.Matches("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", resolved);
        }
    }

    [Fact]
    public void Host_json_reads_queue_messages_the_way_the_app_writes_them()
    {
        var queues = HostJson["extensions"]?["queues"];
        if (!Metadata.Any(f => Trigger(f!.AsObject())["type"]!.GetValue<string>() == "queueTrigger"))
        {
            return; // no queue functions: nothing to agree on
        }

        Assert.NotNull(queues);
        Assert.Equal("base64", queues["messageEncoding"]?.GetValue<string>() ?? "base64"); // the writer uses base64
        Assert.InRange(queues["maxDequeueCount"]!.GetValue<int>(), 1, 20);
        Assert.InRange(queues["batchSize"]!.GetValue<int>(), 1, 32);
        Assert.True(TimeSpan.Parse(queues["visibilityTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) >= TimeSpan.Zero);
    }
}
