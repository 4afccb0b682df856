using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Platform.Hosting;

namespace Twine.Functions.Tests.Logging;

/// <summary>The worker's log levels as Program.cs builds them (<see cref="FunctionsAppSetup.AddTwineFunctions"/>).</summary>
public sealed class LogLevelTests
{
    private const string HttpClientCategory = "System.Net.Http.HttpClient.Twine.Client.ITwineClient.LogicalHandler";

    private static (IHost Host, FakeLogCollector Logs) Build(Dictionary<string, string?>? more = null)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TwineStorage"] = "UseDevelopmentStorage=true",
            ["PollTwineUpdates:Organization"] = "58c4554710123c5c40dbab81",
            ["Twine:BaseAddress"] = "http://127.0.0.1:5080/pub/",
            ["Twine:ClientId"] = "sandbox-client-id",
            ["Twine:ClientSecret"] = "sandbox-client-secret",
        });
        if (more is not null)
        {
            builder.Configuration.AddInMemoryCollection(more);
        }

        builder.AddTwineFunctions();
        var logs = new FakeLogCollector();
        builder.Logging.AddTestLogCapture(logs);
        return (builder.Build(), logs);
    }

    /// <summary>Logs one line per category and level; returns "category level" for each line that got through.</summary>
    private static HashSet<string> Written(IHost host, FakeLogCollector logs, params string[] categories)
    {
        var factory = host.Services.GetRequiredService<ILoggerFactory>();
        foreach (var category in categories)
        {
            var logger = factory.CreateLogger(category);
            foreach (var level in new[] { LogLevel.Debug, LogLevel.Information, LogLevel.Warning })
            {
#pragma warning disable CA1848, CA2254 // a test line per category and level
                logger.Log(level, "line");
#pragma warning restore CA1848, CA2254
            }
        }

        return logs.GetSnapshot().Select(r => $"{r.Category} {r.Level}").ToHashSet();
    }

    [Fact]
    public void By_default_SDK_HttpClient_and_Polly_request_lines_are_kept_from_Warning_and_the_apps_own_from_Information()
    {
        var (host, logs) = Build();
        using var _ = host;

        var written = Written(host, logs, "Azure.Core", "Azure.Data.Tables", "Azure.Storage.Queues", "Azure.Identity", HttpClientCategory, "Polly",
            "Twine.Functions.Ingestions.IngestionAcceptor", "Twine.Client.TwineClient");

        foreach (var sdk in new[] { "Azure.Core", "Azure.Data.Tables", "Azure.Storage.Queues", "Azure.Identity", HttpClientCategory, "Polly" })
        {
            Assert.DoesNotContain($"{sdk} Information", written);
            Assert.Contains($"{sdk} Warning", written);
        }

        foreach (var app in new[] { "Twine.Functions.Ingestions.IngestionAcceptor", "Twine.Client.TwineClient" })
        {
            Assert.DoesNotContain($"{app} Debug", written);
            Assert.Contains($"{app} Information", written);
        }
    }

    [Fact]
    public void A_setting_turns_them_up()
    {
        var (host, logs) = Build(new()
        {
            ["Logging:LogLevel:Azure.Core"] = "Information",
            ["Logging:LogLevel:System.Net.Http"] = "Debug",
            ["Logging:LogLevel:Twine.Functions"] = "Debug",
        });
        using var _ = host;

        var written = Written(host, logs, "Azure.Core", "Azure.Data.Tables", HttpClientCategory, "Twine.Functions.Platform.Polling.TwineUpdatesPoller");

        Assert.Contains("Azure.Core Information", written);
        Assert.DoesNotContain("Azure.Data.Tables Information", written); // still under "Azure"
        Assert.Contains($"{HttpClientCategory} Debug", written);
        Assert.Contains("Twine.Functions.Platform.Polling.TwineUpdatesPoller Debug", written);
    }

    [Fact]
    public void Application_Insights_gets_the_same_levels()
    {
        var (host, _) = Build();
        using var __ = host;

        // The App Insights provider's own Warning rule is removed (FunctionsAppSetup): what is left for it is the general rules.
        var filters = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LoggerFilterOptions>>().Value;
        Assert.DoesNotContain(filters.Rules, r => r.ProviderName?.Contains("ApplicationInsights", StringComparison.Ordinal) == true);
        foreach (var (category, level) in DefaultLogLevels.Levels)
        {
            Assert.Contains(filters.Rules, r => r.ProviderName is null && string.Equals(r.CategoryName ?? "Default", category, StringComparison.OrdinalIgnoreCase) && r.LogLevel == level);
        }
    }
}
