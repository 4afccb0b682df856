using System.Text.Json.Nodes;

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
