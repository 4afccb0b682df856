using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.Tests.Polling;

/// <summary>AddPolling's options fail fast with the setting's name; the function classes declare their triggers as designed.</summary>
public sealed class PollingSetupTests
{
    private static Dictionary<string, string?> Valid() => new()
    {
        ["TwineStorage"] = "UseDevelopmentStorage=true",
        ["PollTwineUpdates:Organization"] = "58c4554710123c5c40dbab81",
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPolling(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Defaults_bind_when_only_the_organization_is_set()
    {
        using var provider = Build(Valid());
        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<PollingOptions>>().Value;

        Assert.Equal("0 */5 * * * *", options.Schedule);
        Assert.Equal(TimeSpan.FromHours(24), options.EmailOverlap);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CalendarOverlap);
        Assert.Equal(TimeSpan.FromMinutes(4), options.TimeBudget);
        Assert.Equal(50, options.PageSize);
        Assert.Empty(options.EmailSenderIds);
        Assert.Null(options.EmailHashKeyBytes());
        Assert.Equal(("EmailHistory", "CalendarEvents", "PollCheckpoints", "EmailRecheck"), (options.EmailHistoryTable, options.CalendarEventsTable, options.CheckpointsTable, options.EmailRecheckTable));
    }

    [Theory]
    [InlineData("Organization", null, "Organization")]
    [InlineData("Organization", "acme", "Organization")]
    [InlineData("EmailSenders", "5a0c8e27a9d454cc150997c9,coach-2", "PollTwineUpdates__EmailSenders")]
    [InlineData("EmailHashKey", "c2hvcnQ=", "PollTwineUpdates__EmailHashKey")]
    [InlineData("EmailHashKey", "not base64!", "PollTwineUpdates__EmailHashKey")]
    [InlineData("PageSize", "0", "PageSize")]
    [InlineData("TimeBudget", "00:30:00", "TimeBudget")]
    [InlineData("EmailHistoryTable", "email-history", "EmailHistoryTable")]
    [InlineData("CheckpointsTable", "EmailHistory", "must be different tables")]
    [InlineData("EmailRecheckTable", "PollCheckpoints", "must be different tables")]
    [InlineData("EmailRecheckTable", "email_recheck", "EmailRecheckTable")]
    public void A_bad_setting_fails_start_up_naming_it(string key, string? value, string named)
    {
        var settings = Valid();
        settings["PollTwineUpdates:" + key] = value;
        using var provider = Build(settings);

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_functions_host_with_AddPolling_builds_and_creates_the_polling_functions()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(Valid())
        {
            ["Twine:BaseAddress"] = "http://127.0.0.1:5080/pub/",
            ["Twine:ClientId"] = "sandbox-client-id",
            ["Twine:ClientSecret"] = "sandbox-client-secret",
            ["PollTwineUpdates:EmailSenders"] = "5a0c8e27a9d454cc150997c9",
        });
        builder.AddTwineFunctions();
        using var host = builder.Build();

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        Assert.NotNull(ActivatorUtilities.CreateInstance<PollTwineUpdatesFunction>(host.Services));
        Assert.NotNull(ActivatorUtilities.CreateInstance<GetEmailHistoryFunction>(host.Services));
        Assert.NotNull(ActivatorUtilities.CreateInstance<CalendarEventFunctions>(host.Services));
    }

    [Fact]
    public void The_timer_reads_its_schedule_from_the_app_setting_and_does_not_run_on_start_up()
    {
        var run = typeof(PollTwineUpdatesFunction).GetMethod(nameof(PollTwineUpdatesFunction.Run))!;
        Assert.Equal("PollTwineUpdates", run.GetCustomAttribute<FunctionAttribute>()!.Name);
        var timer = run.GetParameters()[0].GetCustomAttribute<TimerTriggerAttribute>()!;
        Assert.Equal("%PollTwineUpdates:Schedule%", timer.Schedule);
        Assert.False(timer.RunOnStartup);
    }

    [Theory]
    [InlineData("PollTwineUpdates", "timerTrigger", null, null)]
    [InlineData("GetEmailHistory", "httpTrigger", "get", "email-history")]
    [InlineData("GetCalendarEvent", "httpTrigger", "get", "calendar-events/{externalId}")]
    public void Functions_metadata_declares_the_polling_functions(string name, string trigger, string? method, string? route)
    {
        var functions = JsonNode.Parse(File.ReadAllText(RepoPaths.BuildOutput("functions.metadata")))!.AsArray();

        var function = Assert.Single(functions, f => f!["name"]!.GetValue<string>() == name)!;
        var binding = Assert.Single(function["bindings"]!.AsArray(), b => b!["type"]!.GetValue<string>() == trigger)!;
        if (trigger == "timerTrigger")
        {
            Assert.Equal("%PollTwineUpdates:Schedule%", binding["schedule"]!.GetValue<string>());
            Assert.False(binding["runOnStartup"]?.GetValue<bool>() ?? false);
            return;
        }

        Assert.Equal("Function", binding["authLevel"]!.GetValue<string>());
        Assert.Equal([method!], binding["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(route, binding["route"]!.GetValue<string>());
    }
}
