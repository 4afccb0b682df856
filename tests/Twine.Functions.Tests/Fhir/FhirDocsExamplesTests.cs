using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Functions.Fhir;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// docs/FHIR.md's curl examples work as written, the way ReadmeExamplesTests keeps the README's: each body is read from
/// the page and sent through its route's handler against Azurite and the sandbox, signed as partner <c>local</c> with the
/// secret and the FHIR settings local.settings.sample.json gives it (what <c>signed curl</c> does on a laptop).
/// </summary>
public sealed partial class FhirDocsExamplesTests : IClassFixture<SandboxFixture>
{
    private const string LocalPartner = "local";
    private static readonly string Doc = File.ReadAllText(RepoPaths.InRepo("docs", "FHIR.md"));
    private static readonly JsonObject Sample = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("local.settings.sample.json")))!["Values"]!.AsObject();

    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public FhirDocsExamplesTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string LocalSecret => Sample[$"Webhooks__Partners__{LocalPartner}__Secrets__0"]!.GetValue<string>();

    /// <summary>The app with partner local's secret and every Fhir__Partners__local__* setting of the sample, nothing else of FHIR.</summary>
    private TestApp App() => ProcessingApp.Create(_azurite, _sandbox, configure: settings =>
    {
        settings[$"Webhooks:Partners:{LocalPartner}:Secrets:0"] = LocalSecret;
        foreach (var (name, value) in Sample.Where(s => s.Key.StartsWith($"Fhir__Partners__{LocalPartner}__", StringComparison.Ordinal)))
        {
            settings[name.Replace("__", ":", StringComparison.Ordinal)] = value!.GetValue<string>();
        }
    });

    private sealed record Example(string Method, string Url, string? ContentType, string? IdempotencyKey, string Body);

    private static IReadOnlyList<Example> Examples() =>
        [.. SignedCurl().Matches(Doc).Select(m =>
        {
            var headers = Header().Matches(m.Value).ToDictionary(h => h.Groups["name"].Value, h => h.Groups["value"].Value, StringComparer.OrdinalIgnoreCase);
            return new Example(m.Groups["method"].Value, m.Groups["url"].Value, headers.GetValueOrDefault("Content-Type"), headers.GetValueOrDefault("Idempotency-Key"),
                m.Groups["body"].Value);
        })];

    private static Example Single(string method, string urlEnd) =>
        Assert.Single(Examples(), e => e.Method == method && e.Url.EndsWith(urlEnd, StringComparison.Ordinal));

    private async Task<TestResponse> SendAsync(TestApp app, Example example, Func<FhirIngestionHandler, WebhookRequest, Task<IResult>> route)
    {
        // The body exactly as curl sends it: -d keeps the line breaks of the page.
        var body = Encoding.UTF8.GetBytes(example.Body);
        using var stream = new MemoryStream(body);
        var request = new WebhookRequest(app.Sign(body, secret: LocalSecret), example.ContentType, null, body.Length, example.IdempotencyKey, stream);
        return await app.ExecuteAsync(await route(app.Services.GetRequiredService<FhirIngestionHandler>(), request));
    }

    private static void AssertAccepted(TestResponse response)
    {
        Assert.True(response.Status == 202, response.Body);
        Assert.StartsWith("application/fhir+json", response.ContentType, StringComparison.Ordinal);
        Assert.StartsWith("/api/ingestions/", response.Headers["Content-Location"], StringComparison.Ordinal);
        Assert.Equal("OperationOutcome", response.Json["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public void The_page_has_one_example_per_route_all_signed_and_local_has_fhir_settings()
    {
        Assert.Equal(
            ["DELETE /api/fhir/Appointment/visit-2026-11-30-42", "POST /api/fhir", "POST /api/fhir/Observation", "PUT /api/fhir/Appointment/visit-2026-11-30-42"],
            Examples().Select(e => $"{e.Method} {new Uri(e.Url).AbsolutePath}").Order(StringComparer.Ordinal));
        Assert.Contains("curl -s http://localhost:7071/api/fhir/metadata", Doc, StringComparison.Ordinal);
        Assert.Equal(4, Regex.Matches(Doc, @"^signed curl ", RegexOptions.Multiline).Count);
        Assert.Contains($"Fhir__Partners__{LocalPartner}__Organization", Sample.Select(s => s.Key));
    }

    [Fact]
    public async Task The_metadata_example_answers_the_CapabilityStatement()
    {
        await using var app = App();
        var context = new DefaultHttpContext { RequestServices = app.Services };
        var function = ActivatorUtilities.CreateInstance<FhirFunctions>(app.Services);

        var response = await app.ExecuteAsync(function.Metadata(context.Request));

        Assert.Equal(200, response.Status);
        Assert.Equal("CapabilityStatement", response.Json["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_observation_example_is_accepted_and_reaches_Twine_as_a_weight()
    {
        await using var app = App();

        var response = await SendAsync(app, Single("POST", "/api/fhir/Observation"), (h, r) => h.HandleObservationAsync(r, Ct));

        AssertAccepted(response);
        var messages = await app.TakeMessagesAsync(app.Names.MetricsQueue);
        foreach (var message in messages)
        {
            await app.MetricsProcessor().ProcessAsync(message, 1, Ct);
        }

        var id = response.Headers["Content-Location"]["/api/ingestions/".Length..];
        var status = (await app.GetStatusAsync(id)).Json;
        Assert.True(status["status"]!.GetValue<string>() == "succeeded", status.ToJsonString());
    }

    [Fact]
    public async Task The_bundle_example_is_accepted_with_every_Observation_delivered()
    {
        await using var app = App();

        var response = await SendAsync(app, Single("POST", "/api/fhir"), (h, r) => h.HandleBundleAsync(r, Ct));

        AssertAccepted(response);
        var id = response.Headers["Content-Location"]["/api/ingestions/".Length..];
        var entries = (await app.GetStatusAsync(id)).Json["entries"]!.AsArray();
        Assert.Equal(["skipped", "delivered", "delivered"], entries.Select(e => e!["outcome"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_appointment_examples_are_accepted_put_then_delete()
    {
        await using var app = App();

        AssertAccepted(await SendAsync(app, Single("PUT", "/api/fhir/Appointment/visit-2026-11-30-42"),
            (h, r) => h.HandleAppointmentPutAsync(r, "visit-2026-11-30-42", Ct)));
        AssertAccepted(await SendAsync(app, Single("DELETE", "/api/fhir/Appointment/visit-2026-11-30-42"),
            (h, r) => h.HandleAppointmentDeleteAsync(r, "visit-2026-11-30-42", Ct)));
    }

    /// <summary>The README's curl form: <c>signed curl -i -X METHOD URL \</c>, header lines, then <c>-d '…'</c>.</summary>
    [GeneratedRegex(@"signed curl -i -X (?<method>POST|PUT|DELETE) (?<url>\S+) \\\n(?:.*\\\n)*?\s*-d '(?<body>[^']+)'", RegexOptions.Multiline)]
    private static partial Regex SignedCurl();

    [GeneratedRegex(@"-H '(?<name>[A-Za-z-]+): (?<value>[^']*)'")]
    private static partial Regex Header();
}
