using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Signatures;

/// <summary>
/// The README's bash/openssl signing helper, run for real with the secret local.settings.sample.json gives partner
/// "local", produces headers the app accepts: a user following the README gets 202, not 401.
/// </summary>
public sealed partial class ReadmeSigningTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_readme_signing_helper_signs_requests_the_app_accepts_with_the_sample_secret()
    {
        if (!OnPath("bash") || !OnPath("openssl"))
        {
            Assert.Skip("bash and openssl are needed to run the README's helper.");
        }

        var readme = await File.ReadAllTextAsync(RepoPaths.InRepo("README.md"), TestContext.Current.CancellationToken);
        var helper = SigningBlock().Match(readme);
        Assert.True(helper.Success, "README.md has no bash block defining signed()");
        var sample = JsonNode.Parse(await File.ReadAllTextAsync(RepoPaths.InRepo("local.settings.sample.json"), TestContext.Current.CancellationToken))!;
        var localSecret = sample["Values"]!["Webhooks__Partners__local__Secrets__0"]!.GetValue<string>();
        Assert.Contains("SECRET=" + localSecret, helper.Value, StringComparison.Ordinal);

        const string Body = "{\"data\":{\"type\":\"patient_health_metric\",\"attributes\":{\"type\":\"weight\",\"value\":70.5,\"unit\":\"kg\",\n \"occurred_at\":\"2026-11-25T08:00:00Z\"},\"relationships\":{\"patient\":{\"data\":{\"type\":\"patient\",\"id\":\"5817ead56f5316c0d05ba8bf\"}}}}}";
        // A stand-in curl prints its arguments, one per line; the helper appends the three headers.
        var script = helper.Groups["code"].Value + "\ncurl() { printf '%s\\n' \"$@\"; }\nsigned curl -i -X POST http://localhost:7071/api/metrics -d \"$BODY\"\n";
        var output = await RunBashAsync(script, Body);
        var headers = output.Split('\n').Where(l => l.StartsWith("webhook-", StringComparison.Ordinal))
            .Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1]);

        await using var app = new TestApp(azurite, settings => settings["Webhooks:Partners:local:Secrets:0"] = localSecret);
        app.Time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(long.Parse(headers[WebhookHeaders.TimestampHeader], System.Globalization.CultureInfo.InvariantCulture)));
        var bytes = Encoding.UTF8.GetBytes(Body);
        using var stream = new MemoryStream(bytes);
        var signed = new WebhookHeaders(headers[WebhookHeaders.IdHeader], headers[WebhookHeaders.TimestampHeader], headers[WebhookHeaders.SignatureHeader]);

        var response = await app.ExecuteAsync(await app.Metrics.HandleAsync(new WebhookRequest(signed, "application/vnd.api+json", null, bytes.Length, null, stream), CancellationToken.None));

        Assert.True(response.Status == 202, response.Body);
    }

    private static async Task<string> RunBashAsync(string script, string body)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["BODY"] = body;
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, error);
        return output;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, program)));

    [GeneratedRegex(@"```bash\n(?<code>SECRET=[^`]*?signed\(\) \{[^`]*?)```")]
    private static partial Regex SigningBlock();
}
