using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Status;
using Twine.Functions.Metrics;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>AddIngestions' configuration: fails fast with the setting's name, and works with a connection string or service URIs.</summary>
public sealed class IngestionSetupTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIngestions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    private static OptionsValidationException StartupFailure(Dictionary<string, string?> settings)
    {
        using var provider = Build(settings);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    [Fact]
    public void Missing_storage_setting_fails_start_up_naming_it()
    {
        var failure = StartupFailure([]);

        Assert.Contains("TwineStorage", failure.Message, StringComparison.Ordinal);
        Assert.Contains("TwineStorage__tableServiceUri", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Half_configured_identity_connection_fails_naming_the_missing_uri()
    {
        var failure = StartupFailure(new() { ["TwineStorage:queueServiceUri"] = "https://acct.queue.core.windows.net" });

        Assert.Contains("TwineStorage__tableServiceUri", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TwineStorage__queueServiceUri", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Storage:IngestionsTable", "has-hyphen")]
    [InlineData("Storage:MetricsQueue", "UpperCase")]
    [InlineData("Storage:CalendarEventsQueue", "double--hyphen")]
    public void Invalid_table_or_queue_name_fails_start_up_naming_it(string key, string value)
    {
        var failure = StartupFailure(new() { ["TwineStorage"] = "UseDevelopmentStorage=true", [key] = value });

        Assert.Contains(key.Split(':')[1], failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_the_documented_names()
    {
        using var provider = Build(new() { ["TwineStorage"] = "UseDevelopmentStorage=true" });
        provider.GetRequiredService<IStartupValidator>().Validate();

        var names = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
        Assert.Equal(("Ingestions", "CalendarEventLinks", "IngestionKeys", "twine-metrics", "twine-calendar-events"),
            (names.IngestionsTable, names.CalendarEventLinksTable, names.IngestionKeysTable, names.MetricsQueue, names.CalendarEventsQueue));
    }

    [Fact]
    public void Service_uris_give_clients_for_managed_identity_without_connecting()
    {
        using var provider = Build(new()
        {
            ["TwineStorage:queueServiceUri"] = "https://acct.queue.core.windows.net",
            ["TwineStorage:tableServiceUri"] = "https://acct.table.core.windows.net",
        });
        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal("acct", provider.GetRequiredService<QueueServiceClient>().AccountName);
        Assert.Equal(new Uri("https://acct.table.core.windows.net"), provider.GetRequiredService<TableServiceClient>().Uri);
    }

    [Fact]
    public void The_function_host_builds_every_ingestion_function_class()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["TwineStorage"] = "UseDevelopmentStorage=true", ["PollTwineUpdates:Organization"] = "58c4554710123c5c40dbab81" });
        builder.AddTwineFunctions();
        using var host = builder.Build();

        foreach (var functionClass in new[] { typeof(IngestMetricsFunction), typeof(CalendarEventFunctions), typeof(GetIngestionStatusFunction) })
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(host.Services, functionClass));
        }
    }
}
