using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData(429, false)] // Twine pacing the client: waited out by the retry, never a reason to stop calling
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(408, true)]
    [InlineData(404, false)]
    public async Task The_circuit_counts_transient_failures_but_not_a_rate_limit(int status, bool counted)
    {
        var services = new ServiceCollection();
        services.AddTwineClient(o => o.BaseAddress = new Uri("https://twine.example/pub/"));
        await using var provider = services.BuildServiceProvider();
        var breaker = provider.GetRequiredService<IOptionsMonitor<HttpStandardResilienceOptions>>()
            .Get(TwineServiceCollectionExtensions.HttpClientName + "-standard").CircuitBreaker;
        using var response = new HttpResponseMessage((System.Net.HttpStatusCode)status);

        var handled = await breaker.ShouldHandle(new Polly.CircuitBreaker.CircuitBreakerPredicateArguments<HttpResponseMessage>(
            Polly.ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken), Polly.Outcome.FromResult(response)));

        Assert.Equal(counted, handled);
    }

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
    public void A_BaseAddress_that_is_not_absolute_http_fails_with_the_setting_name()
    {
        var services = new ServiceCollection();
        services.AddTwineClient(o => o.BaseAddress = new Uri("ftp://twine.example/pub/"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Twine:BaseAddress must be an absolute http(s) URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inconsistent_resilience_settings_fail_at_start_up_with_their_names()
    {
        // HttpStandardResilienceOptions validates itself: the attempt timeout within the total, at least one retry.
        var services = new ServiceCollection();
        services.AddTwineClient(
            o => o.BaseAddress = new Uri("https://twine.example/pub/"),
            r =>
            {
                r.AttemptTimeout.Timeout = TimeSpan.FromMinutes(5);
                r.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(1);
                r.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(10);
                r.Retry.MaxRetryAttempts = 0;
            });
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Attempt Timeout", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxRetryAttempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_resilience_setting_fails_at_start_up()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Twine:BaseAddress"] = "https://twine.example/pub/",
                ["Twine:Resilience:Retry:MaxRetryAttempt"] = "2",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddTwineClient(configuration.GetSection("Twine"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.ThrowsAny<InvalidOperationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("MaxRetryAttempt", ex.Message, StringComparison.Ordinal);
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
                ["Twine:TokenRenewalSkew"] = "00:02:00",
                ["Twine:EnableRetries"] = "false",
                ["Twine:Resilience:AttemptTimeout:Timeout"] = "00:00:20",
                ["Twine:Resilience:TotalRequestTimeout:Timeout"] = "00:02:00",
                ["Twine:Resilience:Retry:MaxRetryAttempts"] = "5",
                ["Twine:Resilience:Retry:Delay"] = "00:00:03",
                ["Twine:Resilience:CircuitBreaker:SamplingDuration"] = "00:01:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddTwineClient();
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IOptions<TwineClientOptions>>().Value;
        var resilience = provider.GetRequiredService<IOptionsMonitor<HttpStandardResilienceOptions>>().Get(TwineServiceCollectionExtensions.HttpClientName + "-standard");
        var coach = await provider.GetRequiredService<ITwineClient>().FetchCoachAsync(Seed.Coach, Ct);

        Assert.Equal(TimeSpan.FromMinutes(2), options.TokenRenewalSkew);
        Assert.False(options.EnableRetries);
        Assert.Equal(TimeSpan.FromSeconds(20), resilience.AttemptTimeout.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(2), resilience.TotalRequestTimeout.Timeout);
        Assert.Equal(5, resilience.Retry.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(3), resilience.Retry.Delay);
        Assert.Equal(TimeSpan.FromMinutes(1), resilience.CircuitBreaker.SamplingDuration);

        // Settings left out keep the client's defaults.
        Assert.Equal(0.5, resilience.CircuitBreaker.FailureRatio);
        Assert.Equal(20, resilience.CircuitBreaker.MinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(15), resilience.CircuitBreaker.BreakDuration);
        Assert.Equal(Seed.Coach, coach.Data?.Id);
    }
}
