using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Health;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Health;

/// <summary>GET /api/health against the real Azurite and the sandbox: a line per check, 200 or 503, no secret.</summary>
public sealed class HealthEndpointTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;

    public async ValueTask InitializeAsync() => _sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = 0 });

    public ValueTask DisposeAsync() => _sandbox.DisposeAsync();

    /// <summary>The app (TestApp: the host's service graph) with the sandbox's default credentials, whatever the sandbox accepts now.</summary>
    private TestApp BuildApp(Action<Dictionary<string, string?>>? change = null, Action<IServiceCollection>? services = null) =>
        new(azurite, settings =>
        {
            settings["Twine:BaseAddress"] = _sandbox.BaseAddress.ToString();
            settings["Twine:ClientId"] = SandboxOptions.DefaultClientId;
            settings["Twine:ClientSecret"] = SandboxOptions.DefaultClientSecret;
            settings["Twine:EnableRetries"] = "false";
            change?.Invoke(settings);
        }, (collection, _) => services?.Invoke(collection));

    private static async Task<(int Status, JsonNode Body, string Text)> GetHealthAsync(IServiceProvider services)
    {
        var result = await services.GetRequiredService<HealthHandler>().HandleAsync(TestContext.Current.CancellationToken);
        var context = new DefaultHttpContext { RequestServices = services };
        using var stream = new MemoryStream();
        context.Response.Body = stream;
        await result.ExecuteAsync(context);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        return (context.Response.StatusCode, JsonNode.Parse(text)!, text);
    }

    private static string CheckStatus(JsonNode body, string name) =>
        body["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!["status"]!.GetValue<string>();

    [Fact]
    public async Task All_checks_pass_with_storage_and_Twine_reachable()
    {
        await using var app = BuildApp();

        var (status, body, _) = await GetHealthAsync(app.Services);

        Assert.Equal(200, status);
        Assert.Equal("healthy", body["status"]!.GetValue<string>());
        Assert.Equal(["email-hash-key", "storage", "trigger-settings", "twine-credentials", "twine-token"], body["checks"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).Order());
        Assert.All(body["checks"]!.AsArray(), c => Assert.Equal("healthy", c!["status"]!.GetValue<string>()));
        Assert.Equal(1, _sandbox.RequestCount("POST", "/oauth/token"));
    }

    [Fact]
    public async Task Rejected_credentials_fail_the_token_check_without_showing_the_secret()
    {
        _sandbox.RotateCredentials("rotated-id", "rotated-secret");
        await using var app = BuildApp();

        var (status, body, text) = await GetHealthAsync(app.Services);

        Assert.Equal(503, status);
        Assert.Equal("unhealthy", body["status"]!.GetValue<string>());
        Assert.Equal("healthy", CheckStatus(body, "storage"));
        Assert.Equal("healthy", CheckStatus(body, "twine-credentials"));
        Assert.Equal("unhealthy", CheckStatus(body, "twine-token"));
        Assert.Contains("InvalidCredentials", text, StringComparison.Ordinal);
        Assert.DoesNotContain(SandboxOptions.DefaultClientSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("rotated-secret", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_vault_fails_the_credentials_check()
    {
        using var vault = new Secrets.StandInKeyVault { Unreachable = true };
        await using var app = BuildApp(
            settings => settings["TwineSecrets:VaultUri"] = Secrets.StandInKeyVault.VaultUri.ToString(),
            collection => collection.AddSingleton(vault.CreateClient()));

        var (status, body, text) = await GetHealthAsync(app.Services);

        Assert.Equal(503, status);
        Assert.Equal("unhealthy", CheckStatus(body, "twine-credentials"));
        Assert.Equal("unhealthy", CheckStatus(body, "twine-token"));
        Assert.Contains("twine-client-id", text, StringComparison.Ordinal);
        Assert.Equal(0, _sandbox.RequestCount("POST", "/oauth/token"));
    }

    [Theory]
    [InlineData("Storage:MetricsQueue", "ProcessMetrics (Storage__MetricsQueue)")]
    [InlineData("Storage:CalendarEventsQueue", "ProcessCalendarEvents (Storage__CalendarEventsQueue)")]
    [InlineData("PollTwineUpdates:Schedule", "PollTwineUpdates (PollTwineUpdates__Schedule)")]
    public async Task A_trigger_setting_the_host_needs_missing_makes_health_unhealthy_and_names_it(string setting, string named)
    {
        await using var app = BuildApp(settings => settings.Remove(setting));

        var (status, body, text) = await GetHealthAsync(app.Services);

        Assert.Equal(503, status);
        Assert.Equal("unhealthy", CheckStatus(body, "trigger-settings"));
        Assert.Contains(named, text, StringComparison.Ordinal);
        Assert.Equal("healthy", CheckStatus(body, "storage")); // the webhooks still accept and queue
    }

    [Fact]
    public void The_trigger_settings_are_read_from_the_apps_own_bindings()
    {
        var bindings = TriggerSettingsHealthCheck.FindBindings(typeof(FunctionsAppSetup).Assembly).Select(b => $"{b.Function}={b.AppSettingName}");

        Assert.Equal(
            ["PollTwineUpdates=PollTwineUpdates__Schedule", "ProcessCalendarEvents=Storage__CalendarEventsQueue", "ProcessMetrics=Storage__MetricsQueue",
             "RecordPoisonCalendarEvents=Storage__CalendarEventsQueue", "RecordPoisonMetrics=Storage__MetricsQueue", "RunRetention=Retention__Schedule"],
            bindings.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Unreachable_storage_fails_the_storage_check()
    {
        // A closed port on loopback, and no SDK retries, so the failure is immediate.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
                         "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                         $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1";
        var names = Options.Create(new StorageOptions());
        var tables = new StorageTables(new TableServiceClient(connection, new TableClientOptions { Retry = { MaxRetries = 0 } }), names);
        var check = new StorageHealthCheck(tables,
            new IngestionQueues(new QueueServiceClient(connection, new QueueClientOptions { Retry = { MaxRetries = 0 } }), names, tables));

        var result = await check.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith("storage unreachable", result.Description, StringComparison.Ordinal);
    }
}
