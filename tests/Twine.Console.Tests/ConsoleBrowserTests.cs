using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Poison;
using Twine.Functions.Ingestions.Retries;
using Twine.Functions.Metrics;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using static Microsoft.Playwright.Assertions;

namespace Twine.Console.Tests;

/// <summary>
/// The operator console in a real browser (Debian's headless chromium, driven by Playwright through its executable path),
/// served with the history, status and replay APIs by the app's own function classes against Azurite and the sandbox:
/// an operator filters failed ingestions, opens one, replays it after the sandbox fault is cleared (confirming the dry
/// run) and sees it succeed. A screenshot of the page is saved to TestResults/console-replay.png.
/// </summary>
public sealed class ConsoleBrowserTests(AzuriteFixture azurite, SandboxFixture sandboxFixture) : IClassFixture<SandboxFixture>
{
    private const string PatientId = "5a1000000000000000000003"; // a seeded sandbox patient
    private readonly SandboxServer _sandbox = sandboxFixture.Server;

    /// <summary>Debian's chromium (scripts/test.sh installs it when missing); TWINE_CHROMIUM names another binary.</summary>
    private static string Chromium =>
        Environment.GetEnvironmentVariable("TWINE_CHROMIUM") is { Length: > 0 } path ? path
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
        : throw new InvalidOperationException("No chromium: run scripts/test.sh (it installs Debian's chromium) or set TWINE_CHROMIUM.");

    private static JsonObject Metric(int value) => new()
    {
        ["data"] = new JsonArray(new JsonObject
        {
            ["type"] = "patient_health_metric",
            ["attributes"] = new JsonObject { ["type"] = "weight", ["occurred_at"] = $"2026-03-01T08:00:{value % 60:D2}Z", ["value"] = 70 + value, ["unit"] = "kg" },
            ["relationships"] = new JsonObject { ["patient"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = PatientId } } },
        }),
    };

    [Fact]
    public async Task An_operator_filters_failed_ingestions_opens_one_replays_it_and_sees_it_succeed()
    {
        _sandbox.Reset();
        var retries = new HeldRetryQueue();
        await using var app = new TestApp(azurite, settings =>
        {
            settings["Twine:EnableRetries"] = "false";
            settings["Twine:Resilience:AttemptTimeout:Timeout"] = "00:00:20";
            settings["Twine:Resilience:TotalRequestTimeout:Timeout"] = "00:00:30";
            settings["Twine:Resilience:CircuitBreaker:SamplingDuration"] = "00:00:40";
        }, register: (services, _) => services.AddSingleton<IRetryQueue>(retries), sandbox: _sandbox);
        var metrics = app.Services.GetRequiredService<MetricsMessageProcessor>();

        // One ingestion fails (Twine answers 503, the host gives up: poison), one succeeds once Twine is back.
        var failing = (await app.PostMetricsAsync(Metric(1))).IngestionId;
        app.Time.Advance(TimeSpan.FromMinutes(1));
        var fine = (await app.PostMetricsAsync(Metric(2))).IngestionId;
        var messages = await app.DecodedMessagesAsync(app.Names.MetricsQueue);
        var failingMessage = Assert.Single(messages, m => m.Contains(failing, StringComparison.Ordinal));
        _sandbox.Faults.Add("POST", "/patient_health_metric", FaultKind.ServiceUnavailable);
        await metrics.ProcessAsync(failingMessage, 1, CancellationToken.None);
        await app.Services.GetRequiredService<PoisonMessageHandler>().HandleMetricsAsync(failingMessage, "poisoned", CancellationToken.None);
        _sandbox.Faults.Clear(); // the operator fixed the cause
        app.Time.Advance(TimeSpan.FromMinutes(10));
        await metrics.ProcessAsync(Assert.Single(messages, m => m.Contains(fine, StringComparison.Ordinal)), 1, CancellationToken.None);
        Assert.Equal(IngestionStatus.Failed, (await app.Store.GetAsync(failing, CancellationToken.None))!.Status);

        await using var host = await ConsoleHost.StartAsync(app);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        SetDefaultExpectTimeout(30_000);
        page.SetDefaultTimeout(30_000);
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text + " at " + message.Location); };

        var response = await page.GotoAsync(new Uri(host.BaseAddress, "api/console").AbsoluteUri);
        Assert.Equal(200, response!.Status);

        // The key, typed and submitted with the keyboard; kept for the tab.
        await page.GetByLabel("Function key").FillAsync(ConsoleHost.FunctionKey);
        await page.GetByLabel("Function key").PressAsync("Enter");
        await Expect(page.Locator("#rows tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#chart svg")).ToHaveAttributeAsync("aria-label", "Ingestions per day for 14 days: 2 in all, 1 failed or partly succeeded.");
        Assert.Equal(ConsoleHost.FunctionKey, await page.EvaluateAsync<string>("sessionStorage.getItem('twineFunctionKey')"));

        // Filter failed ones and open the one there is.
        await page.GetByLabel("Status").SelectOptionAsync("failed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.Locator("#rows tr")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show ingestion " + failing }).ClickAsync();
        await Expect(page.Locator("#detail-facts")).ToContainTextAsync("failed");
        await Expect(page.Locator("#detail-errors")).ToContainTextAsync("PoisonMessage");

        // Replay: the dry run is shown for confirmation, then the message is queued again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Replay…" }).ClickAsync();
        await Expect(page.Locator("#confirm")).ToBeVisibleAsync();
        await Expect(page.Locator("#confirm-text")).ToContainTextAsync("Dry run: 1 message(s) of ingestion " + failing);
        await page.Locator("#confirm-button").ClickAsync();
        await Expect(page.Locator("#message")).ToContainTextAsync("Replay queued: 1 message(s)");

        // The queue delivers the replayed message; the page shows the ingestion succeeded.
        var replayed = Assert.Single(await app.DecodedMessagesAsync(app.Names.MetricsQueue));
        await metrics.ProcessAsync(replayed, 1, CancellationToken.None);
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        await Expect(page.Locator("#detail-facts")).ToContainTextAsync("succeeded");
        await Expect(page.Locator("#detail-facts")).ToContainTextAsync("Replays1, last at");

        Directory.CreateDirectory(RepoPaths.InRepo("TestResults"));
        await page.ScreenshotAsync(new() { Path = RepoPaths.InRepo("TestResults", "console-replay.png"), FullPage = true });
        Assert.Empty(consoleErrors); // no script error, no request the Content-Security-Policy refused
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(failing, CancellationToken.None))!.Status);
        Assert.DoesNotContain(retries.Held, h => Encoding.UTF8.GetString(h).Contains(fine, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_apis_need_the_function_key_and_the_page_has_a_strict_content_security_policy()
    {
        await using var app = new TestApp(azurite);
        await using var host = await ConsoleHost.StartAsync(app);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        var pageResponse = await http.GetAsync(new Uri("api/console", UriKind.Relative), TestContext.Current.CancellationToken);
        var list = await http.GetAsync(new Uri("api/ingestions", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, pageResponse.StatusCode);
        Assert.Equal("text/html", pageResponse.Content.Headers.ContentType!.MediaType);
        var policy = string.Join(" ", pageResponse.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'sha256-", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        var html = await pageResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal); // no CDN
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, list.StatusCode);
    }

    [Fact]
    public async Task With_the_sign_in_required_a_refused_operator_sees_what_to_do_and_a_sign_in_link()
    {
        await using var app = new TestApp(azurite, settings => settings["OperatorAuth:RequireSignIn"] = "true");
        await using var host = await ConsoleHost.StartAsync(app);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        SetDefaultExpectTimeout(30_000);
        page.SetDefaultTimeout(30_000);
        var console = new Uri(host.BaseAddress, "api/console").AbsoluteUri;

        // Not signed in: the page route answers 401 with a page that links to App Service's Entra sign-in.
        var refused = await page.GotoAsync(console);
        Assert.Equal(401, refused!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign-in required" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToHaveAttributeAsync("href", "/.auth/login/aad?post_login_redirect_uri=/api/console");

        // Signed in when the page loaded (App Service's header on that request only), the session gone by the API calls:
        // first a wrong key (the host's 401: no sign-in link), then the right one (the app's 401: the sign-in link).
        var principal = Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["auth_typ"] = "aad",
            ["claims"] = new JsonArray(new JsonObject { ["typ"] = "roles", ["val"] = "Twine.Operator" }),
            ["role_typ"] = "roles",
        }.ToJsonString()));
        await page.RouteAsync("**/api/console", route => route.ContinueAsync(new() { Headers = new Dictionary<string, string>(route.Request.Headers) { ["X-MS-CLIENT-PRINCIPAL"] = principal } }));
        var served = await page.GotoAsync(console);
        Assert.Equal(200, served!.Status);
        await Expect(page.Locator("#access")).ToBeHiddenAsync();
        await page.GetByLabel("Function key").FillAsync("not-the-key");
        await page.GetByLabel("Function key").PressAsync("Enter");
        await Expect(page.Locator("#access-text")).ToContainTextAsync("The function key was refused (401)");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeHiddenAsync();

        await page.GetByLabel("Function key").FillAsync(ConsoleHost.FunctionKey);
        await page.GetByLabel("Function key").PressAsync("Enter");
        await Expect(page.Locator("#access-text")).ToContainTextAsync("Sign-in required");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToHaveAttributeAsync("href", "/.auth/login/aad?post_login_redirect_uri=/api/console");
        Directory.CreateDirectory(RepoPaths.InRepo("TestResults"));
        await page.ScreenshotAsync(new() { Path = RepoPaths.InRepo("TestResults", "console-sign-in.png"), FullPage = true });
    }
}
