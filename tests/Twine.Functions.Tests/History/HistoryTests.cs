using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.History;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.History;

/// <summary>GET /api/ingestions and /api/ingestions/summary against Azurite: what is recorded, filters, paging, problems.</summary>
public sealed class HistoryTests(AzuriteFixture azurite)
{
    private const string Acme = "acme";
    private const string AcmeSecret = "whsec_YWNtZS1zaWduaW5nLWtleS0wMDAwMDAwMDAwMDE=";

    private TestApp App() => new(azurite, settings => settings[$"Webhooks:Partners:{Acme}:Secrets:0"] = AcmeSecret);

    private static IngestionHistoryHandler History(TestApp app) => app.Services.GetRequiredService<IngestionHistoryHandler>();

    private static async Task<JsonNode> ListAsync(TestApp app, string query = "")
    {
        var response = await app.ExecuteAsync(await History(app).ListAsync(default, Parse(query), CancellationToken.None));
        Assert.True(response.Status == 200, response.Body);
        return response.Json;
    }

    internal static List<KeyValuePair<string, string?>> Parse(string query) =>
        [.. query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .Select(p => new KeyValuePair<string, string?>(p[0], p.Length > 1 ? Uri.UnescapeDataString(p[1]) : ""))];

    private static async Task<TestResponse> PostAsAcmeAsync(TestApp app, JsonNode body, string? webhookId = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        using var stream = new MemoryStream(bytes);
        return await app.ExecuteAsync(await app.Metrics.HandleAsync(
            new WebhookRequest(app.Sign(bytes, webhookId, AcmeSecret), "application/vnd.api+json", null, bytes.Length, null, stream), CancellationToken.None));
    }

    [Fact]
    public async Task Every_ingestion_records_its_partner_and_webhook_id_and_the_list_shows_it_newest_first()
    {
        await using var app = App();
        var first = (await app.PostMetricsAsync(Bodies.Metrics(2))).IngestionId;
        app.Time.Advance(TimeSpan.FromMinutes(1));
        var second = (await PostAsAcmeAsync(app, Bodies.Metrics(3), webhookId: "msg_acme_0001")).IngestionId;
        app.Time.Advance(TimeSpan.FromMinutes(1));
        var third = (await app.PutCalendarEventAsync("appt-1", Bodies.CalendarEvent())).IngestionId;

        var items = (await ListAsync(app))["items"]!.AsArray();

        Assert.Equal([third, second, first], items.Select(i => i!["id"]!.GetValue<string>()));
        var acme = items[1]!;
        Assert.Equal(("acme", "msg_acme_0001", "metrics", "accepted", 3), (acme["partner"]!.GetValue<string>(), acme["webhookId"]!.GetValue<string>(),
            acme["kind"]!.GetValue<string>(), acme["status"]!.GetValue<string>(), acme["counts"]!["metricsTotal"]!.GetValue<int>()));
        Assert.Equal("/api/ingestions/" + second, acme["statusUrl"]!.GetValue<string>());
        Assert.Equal(TestApp.Start.AddMinutes(1), acme["createdAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(("test-partner", "calendarEvent"), (items[0]!["partner"]!.GetValue<string>(), items[0]!["kind"]!.GetValue<string>()));
        var status = (await app.GetStatusAsync(second)).Json;
        Assert.Equal(("acme", "msg_acme_0001"), (status["partner"]!.GetValue<string>(), status["webhookId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Filters_by_status_kind_partner_and_time_answer_from_the_index()
    {
        await using var app = App();
        var metrics = (await app.PostMetricsAsync(Bodies.Metrics(1))).IngestionId;
        app.Time.Advance(TimeSpan.FromHours(1));
        var acme = (await PostAsAcmeAsync(app, Bodies.Metrics(1))).IngestionId;
        app.Time.Advance(TimeSpan.FromHours(1));
        var calendar = (await app.PutCalendarEventAsync("appt-2", Bodies.CalendarEvent())).IngestionId;
        await app.Store.MarkFailedAsync(acme, "A test failure.", CancellationToken.None);

        static List<string> Ids(JsonNode page) => [.. page["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>())];
        Assert.Equal([acme], Ids(await ListAsync(app, "status=failed")));
        Assert.Equal([calendar, metrics], Ids(await ListAsync(app, "status=accepted")));
        Assert.Equal([calendar], Ids(await ListAsync(app, "kind=calendarEvent")));
        Assert.Equal([acme], Ids(await ListAsync(app, "partner=ACME")));
        Assert.Equal([acme, metrics], Ids(await ListAsync(app, "kind=metrics&to=" + Uri.EscapeDataString(TestApp.Start.AddMinutes(90).ToString("O")))));
        Assert.Equal([calendar, acme], Ids(await ListAsync(app, "from=" + Uri.EscapeDataString(TestApp.Start.AddMinutes(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")))));
        Assert.Equal("IngestionFailed", (await ListAsync(app, "status=failed"))["items"]![0]!["firstErrorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pages_follow_the_continuation_token_across_days_without_gaps_or_repeats()
    {
        await using var app = App();
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add((await app.PostMetricsAsync(Bodies.Metrics(1))).IngestionId);
            app.Time.Advance(TimeSpan.FromHours(i % 2 == 0 ? 2 : 20)); // several per day, several days
        }

        var seen = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await ListAsync(app, "pageSize=2" + (token is null ? "" : "&continuationToken=" + token));
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            token = page["continuationToken"]?.GetValue<string>();
            pages++;
        }
        while (token is not null && pages < 10);

        ids.Reverse();
        Assert.Equal(ids, seen);
        Assert.InRange(pages, 4, 5);
    }

    [Fact]
    public async Task The_summary_counts_each_status_per_day_for_fourteen_days()
    {
        await using var app = App();
        var failed = (await app.PostMetricsAsync(Bodies.Metrics(1))).IngestionId;
        await app.Store.MarkFailedAsync(failed, "A test failure.", CancellationToken.None);
        app.Time.Advance(TimeSpan.FromDays(2));
        await app.PostMetricsAsync(Bodies.Metrics(1));
        await app.PostMetricsAsync(Bodies.Metrics(1));

        var response = await app.ExecuteAsync(await History(app).SummaryAsync(default, CancellationToken.None));

        var days = response.Json["days"]!.AsArray();
        Assert.Equal(14, days.Count);
        var today = days[13]!;
        Assert.Equal((TestApp.Start.AddDays(2).ToString("yyyy-MM-dd"), 2, 2), (today["day"]!.GetValue<string>(), today["total"]!.GetValue<int>(), today["counts"]!["accepted"]!.GetValue<int>()));
        Assert.Equal((1, 1), (days[11]!["total"]!.GetValue<int>(), days[11]!["counts"]!["failed"]!.GetValue<int>()));
        Assert.Equal(0, days[12]!["total"]!.GetValue<int>());
        Assert.Equal(6, days[0]!["counts"]!.AsObject().Count);
    }

    [Theory]
    [InlineData("pageSize=abc")]
    [InlineData("status=done")]
    [InlineData("continuationToken=eyJ2IjoxfQ")]
    [InlineData("from=2020-01-01&to=2026-01-01")]
    public async Task Bad_parameters_are_problem_details_naming_the_parameter(string query)
    {
        await using var app = App();

        var response = await app.ExecuteAsync(await History(app).ListAsync(default, Parse(query), CancellationToken.None));

        response.AssertProblem(400);
        Assert.NotNull(response.Json["errors"]![0]!["parameter"]);
    }

    [Fact]
    public async Task A_refused_request_is_logged_with_the_partner_the_webhook_id_and_the_reason_and_nothing_of_the_body()
    {
        await using var app = App();
        var body = Bodies.Metrics(1).With("data/0/attributes/unit", "secret-patient-text-" + new string('x', 70_000));
        await PostAsAcmeAsync(app, body, webhookId: "msg_refused_1");
        var unsigned = Encoding.UTF8.GetBytes(Bodies.Metrics(1).ToJsonString());
        using var stream = new MemoryStream(unsigned);
        await app.Metrics.HandleAsync(new WebhookRequest(new WebhookHeaders("msg_unsigned\r\nforged", "1", "v1,xx"), "application/json", null, unsigned.Length, null, stream),
            CancellationToken.None);

        var lines = app.Logs.GetSnapshot().Select(r => r.Message).Where(m => m.Contains("refused", StringComparison.Ordinal)).ToList();

        Assert.Contains(lines, l => l.Contains("422 validation; partner acme, webhook-id msg_refused_1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("401", StringComparison.Ordinal) && l.Contains("partner (not identified), webhook-id (invalid)", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Message.Contains("secret-patient-text", StringComparison.Ordinal));
    }
}
