using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Twine.Functions.Ingestions.Processing;

namespace Twine.Functions.Tests.Processing;

/// <summary>Processing__RetryFor: bound from configuration, 24 h by default, validated at start-up with its name.</summary>
public sealed class ProcessingOptionsTests
{
    private static ProcessingOptions Bind(string? retryFor)
    {
        var settings = new Dictionary<string, string?>();
        if (retryFor is not null)
        {
            settings["Processing:RetryFor"] = retryFor;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddProcessing(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ProcessingOptions>>().Value;
    }

    [Fact]
    public void The_default_is_a_day_and_a_setting_overrides_it()
    {
        Assert.Equal(TimeSpan.FromHours(24), Bind(null).RetryFor);
        Assert.Equal(TimeSpan.FromHours(6), Bind("06:00:00").RetryFor);
        Assert.Equal(TimeSpan.FromDays(3), Bind("3.00:00:00").RetryFor);
    }

    [Theory]
    [InlineData("00:00:30")]
    [InlineData("31.00:00:00")]
    [InlineData("-01:00:00")]
    public void Out_of_range_fails_at_start_up_naming_the_setting(string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind(value));

        Assert.Contains("Processing:RetryFor", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_message_is_the_settings_own_not_the_generated_default()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind("00:00:30"));

        Assert.Contains("Processing:RetryFor must be between 00:01:00 and 30.00:00:00 (a TimeSpan, e.g. 1.00:00:00 for a day).", e.Message, StringComparison.Ordinal);
    }
}
