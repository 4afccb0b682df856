using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Infra.Tests;

/// <summary>
/// Monitoring as code: the action group, one log alert rule per failure an operator must act on, diagnostic settings
/// for the vault's audit log and the app's logs, and the workbook. The queries are checked against the app itself:
/// every phrase a rule looks for is in one of the app's log message templates, and every function it names exists.
/// </summary>
public sealed partial class MonitoringTests(DeploymentFixture dev, ProductionDeploymentFixture prod)
{
    private static readonly string[] ExpectedRules =
        ["ingestion-failures", "poll-failures", "poll-stalled", "twine-5xx", "twine-429", "http-5xx", "key-vault-access"];

    private static JsonNode Props(JsonObject resource) => resource["properties"]!;

    private static Dictionary<string, JsonObject> Rules(IEnumerable<JsonObject> resources, string environment) =>
        resources.Where(r => (string?)r["type"] == "Microsoft.Insights/scheduledQueryRules")
            .ToDictionary(r => ((string)r["name"]!)[$"alert-twine-{environment}-".Length..], r => r);

    private Dictionary<string, JsonObject> DevRules => Rules(dev.Resources, DeploymentFixture.EnvironmentName);

    private static string Query(JsonObject rule) => (string)Props(rule)["criteria"]!["allOf"]![0]!["query"]!;

    [Fact]
    public void Every_alert_rule_exists_on_the_workspace_and_notifies_the_action_group()
    {
        Assert.Equal(ExpectedRules.Order(StringComparer.Ordinal), DevRules.Keys.Order(StringComparer.Ordinal));
        var workspace = (string)dev.Single("Microsoft.OperationalInsights/workspaces")["id"]!;
        var actionGroup = (string)dev.Single("Microsoft.Insights/actionGroups")["id"]!;

        Assert.All(DevRules.Values, rule =>
        {
            var properties = Props(rule);
            Assert.Equal("LogAlert", (string?)rule["kind"]);
            Assert.True((bool)properties["enabled"]!);
            Assert.Equal([workspace], properties["scopes"]!.AsArray().Select(s => (string?)s));
            Assert.Equal([actionGroup], properties["actions"]!["actionGroups"]!.AsArray().Select(s => (string?)s));
            Assert.InRange((int)properties["severity"]!, 0, 4);
            Assert.Contains("docs/OPERATIONS.md#", (string?)properties["description"]);
            Assert.True((bool)properties["autoMitigate"]!);
        });
    }

    [Fact]
    public void The_action_group_mails_the_addresses_of_TWINE_ALERT_EMAILS()
    {
        var receivers = Props(prod.Single("Microsoft.Insights/actionGroups"))["emailReceivers"]!.AsArray();
        Assert.Equal(ProductionDeploymentFixture.AlertEmails, receivers.Select(r => (string?)r!["emailAddress"]));
        Assert.All(receivers, r => Assert.True((bool)r!["useCommonAlertSchema"]!));
        Assert.Empty(Props(dev.Single("Microsoft.Insights/actionGroups"))["emailReceivers"]!.AsArray());
        Assert.InRange(((string)Props(prod.Single("Microsoft.Insights/actionGroups"))["groupShortName"]!).Length, 1, 12);
    }

    [Fact]
    public void Every_phrase_an_alert_or_the_workbook_looks_for_is_in_one_of_the_apps_log_messages()
    {
        var templates = AppLogTemplates();
        Assert.True(templates.Count > 30, "found only " + templates.Count + " log message templates");

        var texts = DevRules.Values.Select(Query).Concat(WorkbookQueries(dev)).ToList();
        var phrases = texts.SelectMany(t => HasPhrase().Matches(t).Select(m => m.Groups["phrase"].Value)).Distinct().ToList();
        Assert.Contains("ingestion marked failed", phrases);
        Assert.Contains("recorded as failed", phrases);
        Assert.Contains("names no valid ingestion", phrases);
        Assert.Contains("Twine refused the query", phrases);
        Assert.Contains("could not be read", phrases);

        var unmatched = phrases.Where(p => !templates.Any(t => t.Contains(p, StringComparison.Ordinal))).ToList();
        Assert.True(unmatched.Count == 0, "no log message of the app contains: " + string.Join(", ", unmatched));
    }

    [Fact]
    public void Every_function_an_alert_names_is_one_of_the_apps_functions()
    {
        var functions = AppFunctions();
        var named = DevRules.Values.Select(Query).Concat(WorkbookQueries(dev))
            .SelectMany(q => QuotedName().Matches(q).Select(m => m.Groups["name"].Value))
            .Where(n => char.IsUpper(n[0]) && !n.Contains(' ', StringComparison.Ordinal))
            .Distinct()
            .ToList();
        Assert.Contains("PollTwineUpdates", named);
        Assert.All(named, n => Assert.Contains(n, functions.Keys));

        // The HTTP 5xx rule covers exactly the HTTP-triggered functions.
        var httpQuery = Query(DevRules["http-5xx"]);
        var http = functions.Where(f => f.Value).Select(f => f.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(http, QuotedName().Matches(httpQuery).Select(m => m.Groups["name"].Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_twine_rules_watch_the_host_of_twines_base_address_and_the_rates_have_a_minimum_volume()
    {
        var host = new Uri(dev.AppSetting("Twine__BaseAddress")!).Host;
        foreach (var name in new[] { "twine-5xx", "twine-429" })
        {
            var query = Query(DevRules[name]);
            Assert.Contains($"Target has \"{host}\"", query, StringComparison.Ordinal);
            Assert.Contains("where Calls >= 20", query, StringComparison.Ordinal);
            Assert.Equal("FailedPercent", (string?)Props(DevRules[name])["criteria"]!["allOf"]![0]!["metricMeasureColumn"]);
        }

        Assert.Contains("ResultCode startswith \"5\"", Query(DevRules["twine-5xx"]), StringComparison.Ordinal);
        Assert.Contains("ResultCode == \"429\"", Query(DevRules["twine-429"]), StringComparison.Ordinal);
        Assert.Contains("AZKVAuditLogs", Query(DevRules["key-vault-access"]), StringComparison.Ordinal);

        var stalled = Props(DevRules["poll-stalled"])["criteria"]!["allOf"]![0]!;
        Assert.Equal("LessThan", (string?)stalled["operator"]);
        Assert.Equal(1, (int)stalled["threshold"]!);
    }

    [Fact]
    public void The_vaults_audit_log_and_the_apps_logs_go_to_the_workspace()
    {
        var workspace = (string)dev.Single("Microsoft.OperationalInsights/workspaces")["id"]!;
        var vault = (string)dev.Single("Microsoft.KeyVault/vaults")["id"]!;
        var settings = dev.OfType("Microsoft.Insights/diagnosticSettings").ToList();
        Assert.Equal(2, settings.Count);

        var vaultSetting = settings.Single(s => ((string)s["id"]!).StartsWith(vault + "/providers/", StringComparison.Ordinal));
        Assert.Equal(workspace, (string?)Props(vaultSetting)["workspaceId"]);
        Assert.Equal("Dedicated", (string?)Props(vaultSetting)["logAnalyticsDestinationType"]); // table AZKVAuditLogs
        Assert.Contains(Props(vaultSetting)["logs"]!.AsArray(), l => (string?)l!["category"] == "AuditEvent" && (bool)l["enabled"]!);

        var siteSetting = settings.Single(s => ((string)s["id"]!).StartsWith((string)dev.Site["id"]! + "/providers/", StringComparison.Ordinal));
        Assert.Equal(workspace, (string?)Props(siteSetting)["workspaceId"]);
        Assert.Contains(Props(siteSetting)["logs"]!.AsArray(), l => (string?)l!["category"] == "FunctionAppLogs" && (bool)l["enabled"]!);
    }

    [Fact]
    public void The_workbook_shows_ingests_per_minute_success_ratio_queue_age_and_twine_latency()
    {
        var workbook = dev.Single("Microsoft.Insights/workbooks");
        var workspace = (string)dev.Single("Microsoft.OperationalInsights/workspaces")["id"]!;
        Assert.Equal(workspace, (string?)Props(workbook)["sourceId"]);
        Assert.True(Guid.TryParse(DeploymentFixture.ShortName(workbook), out _));

        var data = JsonNode.Parse(WorkbookText(dev))!;
        Assert.Equal("Notebook/1.0", (string?)data["version"]);
        Assert.Equal([workspace], data["fallbackResourceIds"]!.AsArray().Select(s => (string?)s));
        var queries = data["items"]!.AsArray().Where(i => (int)i!["type"]! == 3).ToDictionary(i => (string)i!["name"]!, i => (string)i!["content"]!["query"]!);
        Assert.Equal(["ingests-per-minute", "queue-age", "success-ratio", "twine-latency"], queries.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("bin(TimeGenerated, 1m)", queries["ingests-per-minute"], StringComparison.Ordinal);
        Assert.Contains("InsertedOn", queries["queue-age"], StringComparison.Ordinal);
        Assert.Contains($"Target has \"{new Uri(dev.AppSetting("Twine__BaseAddress")!).Host}\"", queries["twine-latency"], StringComparison.Ordinal);
        Assert.DoesNotContain("{twineHost}", WorkbookText(dev), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_has_a_section_in_docs_operations_saying_what_to_do()
    {
        var operations = File.ReadAllText(RepoPaths.InRepo("docs", "OPERATIONS.md"));
        var headings = Heading().Matches(operations).Select(m => m.Groups["anchor"].Value).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, rule) in DevRules)
        {
            var anchor = ((string)Props(rule)["description"]!).Split("docs/OPERATIONS.md#")[1];
            Assert.Equal(name, anchor);
            Assert.Contains(anchor, headings);
            var section = Regex.Match(operations, $@"^### {Regex.Escape(anchor)}\n(?<body>.*?)(?=^##|\z)", RegexOptions.Multiline | RegexOptions.Singleline).Groups["body"].Value;
            Assert.Contains("What to do", section, StringComparison.Ordinal);
            Assert.Contains((string)Props(rule)["displayName"]!, section, StringComparison.Ordinal);
        }

        Assert.Contains("docs/OPERATIONS.md", File.ReadAllText(RepoPaths.InRepo("README.md")), StringComparison.Ordinal);
    }

    private static IEnumerable<string> WorkbookQueries(DeploymentFixture deployment) =>
        JsonNode.Parse(WorkbookText(deployment))!["items"]!.AsArray()
            .Where(i => (int)i!["type"]! == 3)
            .Select(i => (string)i!["content"]!["query"]!);

    private static string WorkbookText(DeploymentFixture deployment) =>
        (string)Props(deployment.Single("Microsoft.Insights/workbooks"))["serializedData"]!;

    /// <summary>The Message of every [LoggerMessage] in the function app's and the client's sources.</summary>
    private static List<string> AppLogTemplates() =>
        new[] { "src/Twine.Functions", "src/Twine.Client" }
            .SelectMany(d => Directory.EnumerateFiles(RepoPaths.InRepo(d), "*.cs", SearchOption.AllDirectories))
            .SelectMany(f => LoggerMessage().Matches(File.ReadAllText(f)).Select(m => m.Groups["message"].Value))
            .ToList();

    /// <summary>Function name to whether it is HTTP-triggered, by reflection on the app's [Function] methods.</summary>
    private static Dictionary<string, bool> AppFunctions() =>
        typeof(Twine.Functions.Platform.Polling.PollTwineUpdatesFunction).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(m => m.Function is not null)
            .ToDictionary(
                m => m.Function!.Name,
                m => m.Method.GetParameters().Any(p => p.CustomAttributes.Any(a => a.AttributeType.Name == "HttpTriggerAttribute")));

    [GeneratedRegex("Message has \"(?<phrase>[^\"]+)\"")]
    private static partial Regex HasPhrase();

    [GeneratedRegex("\"(?<name>[A-Za-z]+)\"")]
    private static partial Regex QuotedName();

    [GeneratedRegex(@"LoggerMessage\([^)]*?Message\s*=\s*""(?<message>(?:[^""\\]|\\.)*)""", RegexOptions.Singleline)]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"^### (?<anchor>[a-z0-9-]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
