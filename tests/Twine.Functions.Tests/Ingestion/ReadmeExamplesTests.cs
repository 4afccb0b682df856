using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions.History;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>The README's curl bodies are accepted as written, so a user's first try works.</summary>
public sealed partial class ReadmeExamplesTests(AzuriteFixture azurite)
{
    private static readonly string Readme = File.ReadAllText(RepoPaths.InRepo("README.md"));

    private static JsonNode BodyOf(string method, string route)
    {
        var match = CurlBody().Matches(Readme).Single(m => m.Groups["method"].Value == method && m.Groups["url"].Value.Contains(route, StringComparison.Ordinal));
        return JsonNode.Parse(match.Groups["body"].Value)!;
    }

    [Fact]
    public async Task The_metrics_example_is_accepted()
    {
        await using var app = new TestApp(azurite);

        var response = await app.PostMetricsAsync(BodyOf("POST", "/api/metrics"));

        Assert.True(response.Status == 202, response.Body);
    }

    [Fact]
    public async Task The_calendar_event_example_is_accepted()
    {
        await using var app = new TestApp(azurite);

        var response = await app.PutCalendarEventAsync("visit-2026-11-30-42", BodyOf("PUT", "/api/calendar-events/"), bindTarget: false);

        Assert.True(response.Status == 202, response.Body);
    }

    [Fact]
    public async Task The_delete_example_is_accepted_and_names_its_event()
    {
        await using var app = new TestApp(azurite);
        var body = System.Text.Encoding.UTF8.GetBytes(BodyOf("DELETE", "/api/calendar-events/").ToJsonString());
        using var stream = new MemoryStream(body);

        var response = await app.ExecuteAsync(await app.CalendarEvents.HandleDeleteAsync(
            new WebhookRequest(app.Sign(body), "application/vnd.api+json", null, body.Length, null, stream), "visit-2026-11-30-42", CancellationToken.None));

        Assert.True(response.Status == 202, response.Body);
    }

    [Fact]
    public void The_history_and_replay_examples_have_parameters_the_operator_routes_accept()
    {
        var urls = OperatorUrl().Matches(Readme).Select(m => new Uri(m.Groups["url"].Value)).ToList();
        var now = new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

        Assert.Contains(urls, u => u.AbsolutePath == "/api/ingestions/summary");
        Assert.Contains(urls, u => u.AbsolutePath.EndsWith("/replay", StringComparison.Ordinal) && u.AbsolutePath != "/api/ingestions/replay");
        foreach (var url in urls.Where(u => u.AbsolutePath is "/api/ingestions" or "/api/ingestions/replay"))
        {
            var query = url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
                .Select(p => new KeyValuePair<string, string?>(p[0], Uri.UnescapeDataString(p[1]))).ToList();
            var (parsed, errors) = url.AbsolutePath == "/api/ingestions"
                ? Twine.Functions.Ingestions.History.HistoryQueryParser.ParseList(query, now)
                : Twine.Functions.Ingestions.History.HistoryQueryParser.ParseReplay(query, now);
            Assert.True(parsed is not null, url + ": " + string.Join("; ", errors.Select(e => e.Detail)));
        }

        Assert.Equal(2, urls.Count(u => u.AbsolutePath is "/api/ingestions" or "/api/ingestions/replay"));
    }

    [GeneratedRegex(@"curl -s (?:-X POST )?'?(?<url>http://localhost:7071/api/ingestions[^'\s]*)'?")]
    private static partial Regex OperatorUrl();

    [GeneratedRegex(@"curl -i -X (?<method>POST|PUT|DELETE) (?<url>\S+) \\\n(?:.*\\\n)*?\s*-d '(?<body>[^']+)'", RegexOptions.Multiline)]
    private static partial Regex CurlBody();
}
