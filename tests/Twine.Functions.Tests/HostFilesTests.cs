using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Twine.Functions.Platform.Hosting;

namespace Twine.Functions.Tests;

/// <summary>What `func start` reads from the build output must be there and match the files at the repository root.</summary>
public class HostFilesTests
{
    [Fact]
    public void Build_output_carries_the_root_host_json()
    {
        var built = File.ReadAllText(RepoPaths.BuildOutput("host.json"));
        var root = File.ReadAllText(RepoPaths.InRepo("host.json"));
        Assert.Equal(root, built);
        Assert.Equal("2.0", JsonNode.Parse(built)!["version"]!.GetValue<string>());
    }

    /// <summary>
    /// The host's own logs (its Azure SDK clients, HttpClient, the queue extension's polling) at Warning, so request URLs
    /// with table keys and partner ids do not reach Application Insights; function results and logs at Information.
    /// </summary>
    [Theory]
    [InlineData("default", "Information")]
    [InlineData("Function", "Information")]
    [InlineData("Host.Results", "Information")]
    [InlineData("Azure", "Warning")]
    [InlineData("Azure.Core", "Warning")]
    [InlineData("System.Net.Http", "Warning")]
    [InlineData("Host.Triggers.Queue", "Warning")] // the queue extension's QueueProcessor (poison moves, message handling)
    [InlineData("Microsoft.Azure.WebJobs.Extensions.Storage", "Warning")] // its QueueListener: poll and back-off lines, scale monitor
    public void Host_json_sets_the_log_level_of(string category, string level) =>
        Assert.Equal(level, HostLogLevels()[category]);

    [Fact]
    public void Host_json_and_the_worker_agree_on_every_category_both_log()
    {
        var host = HostLogLevels();
        foreach (var (category, level) in DefaultLogLevels.Levels.Where(l => l.Key is not ("Twine" or "Polly"))) // the Twine client and its resilience pipeline run in the worker only
        {
            Assert.True(host.TryGetValue(category, out var hostLevel), $"host.json has no level for {category}");
            Assert.Equal(level, Enum.Parse<LogLevel>(hostLevel));
        }
    }

    private static Dictionary<string, string> HostLogLevels() =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("host.json")))!["logging"]!["logLevel"]!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Worker_config_starts_the_function_app_assembly()
    {
        var config = JsonNode.Parse(File.ReadAllText(RepoPaths.BuildOutput("worker.config.json")))!;
        Assert.Equal("Twine.Functions.dll", config["description"]!["defaultWorkerPath"]!.GetValue<string>());
    }

    [Fact]
    public void Functions_metadata_is_generated_by_the_worker_sdk()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(RepoPaths.BuildOutput("functions.metadata")));
        Assert.IsType<JsonArray>(metadata);
    }

    [Fact]
    public void Local_settings_sample_targets_the_isolated_worker_and_local_services()
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("local.settings.sample.json")))!;
        var values = sample["Values"]!.AsObject();
        Assert.False(sample["IsEncrypted"]!.GetValue<bool>());
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]!.GetValue<string>());
        Assert.StartsWith("http://127.0.0.1:", values["Twine__BaseAddress"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
