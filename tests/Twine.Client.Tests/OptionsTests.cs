using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

public sealed class OptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Missing_BaseAddress_fails_at_start_up_with_the_setting_name()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Twine:ClientId"] = "id", ["Twine:ClientSecret"] = "secret" })
            .Build();
        var services = new ServiceCollection();
        services.AddTwineClient(configuration.GetSection("Twine"));
        using var provider = services.BuildServiceProvider();

        // What the host runs at start-up for ValidateOnStart.
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Twine:BaseAddress", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inconsistent_timeouts_fail_with_their_names()
    {
        var services = new ServiceCollection();
        services.AddTwineClient(o =>
        {
            o.BaseAddress = new Uri("https://twine.example/pub/");
            o.AttemptTimeout = TimeSpan.FromMinutes(5);
            o.TotalTimeout = TimeSpan.FromMinutes(1);
            o.MaxRetryAttempts = -1;
        });
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Twine:AttemptTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Twine:MaxRetryAttempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_bound_from_the_Twine_section_drive_a_working_client()
    {
        await using var host = await TwineTestHost.StartAsync();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Without the trailing slash: the client adds it so /pub is kept.
                ["Twine:BaseAddress"] = host.Sandbox.BaseAddress.AbsoluteUri.TrimEnd('/'),
                ["Twine:ClientId"] = host.Sandbox.ClientId,
                ["Twine:ClientSecret"] = host.Sandbox.ClientSecret,
                ["Twine:AttemptTimeout"] = "00:00:20",
                ["Twine:TokenRenewalSkew"] = "00:02:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddTwineClient();
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IOptions<TwineClientOptions>>().Value;
        var coach = await provider.GetRequiredService<ITwineClient>().FetchCoachAsync(Seed.Coach, Ct);

        Assert.Equal(TimeSpan.FromSeconds(20), options.AttemptTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.TokenRenewalSkew);
        Assert.Equal(Seed.Coach, coach.Data?.Id);
    }
}
