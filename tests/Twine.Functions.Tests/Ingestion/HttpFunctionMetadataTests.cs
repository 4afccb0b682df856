using System.Text.Json.Nodes;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>The Worker SDK's functions.metadata (what the host routes by) declares the ingestion endpoints as designed.</summary>
public sealed class HttpFunctionMetadataTests
{
    [Theory]
    [InlineData("IngestMetrics", "post", "metrics")]
    [InlineData("IngestCalendarEvent", "put", "calendar-events/{externalId}")]
    [InlineData("DeleteCalendarEvent", "delete", "calendar-events/{externalId}")]
    [InlineData("GetIngestionStatus", "get", "ingestions/{id}")]
    public void Http_function_is_declared_with_its_route_method_and_function_key(string name, string method, string route)
    {
        var functions = JsonNode.Parse(File.ReadAllText(RepoPaths.BuildOutput("functions.metadata")))!.AsArray();

        var function = Assert.Single(functions, f => f!["name"]!.GetValue<string>() == name)!;
        var trigger = Assert.Single(function["bindings"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "httpTrigger")!;
        Assert.Equal("Function", trigger["authLevel"]!.GetValue<string>());
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Contains(function["bindings"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "http" && b["name"]!.GetValue<string>() == "$return");
    }
}
