using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Functions.Hosting;

namespace Twine.Functions.Tests;

public class HostBuilderTests
{
    [Fact]
    public void Host_builds_with_the_apps_services()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.AddTwineFunctions();
        using var host = builder.Build();

        Assert.NotNull(host.Services.GetRequiredService<TimeProvider>());
        var filters = host.Services.GetRequiredService<IOptions<LoggerFilterOptions>>().Value;
        Assert.DoesNotContain(filters.Rules, r => r.ProviderName?.Contains("ApplicationInsights", StringComparison.Ordinal) == true
                                                  && r.LogLevel == LogLevel.Warning);
    }
}
