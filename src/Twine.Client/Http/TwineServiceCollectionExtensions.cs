using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Twine.Client;
using Twine.Client.Auth;
using Twine.Client.Http;

// In this namespace so AddTwineClient is found wherever services are registered.
namespace Microsoft.Extensions.DependencyInjection;

public static class TwineServiceCollectionExtensions
{
    /// <summary>The named HttpClient (and resilience pipeline) every Twine request goes through.</summary>
    public const string HttpClientName = "Twine";

    /// <summary>Registers the client with options bound from the configuration section <c>Twine</c> (of the IConfiguration in DI).</summary>
    public static IHttpClientBuilder AddTwineClient(this IServiceCollection services) =>
        services.AddTwineClient(builder => builder.BindConfiguration(TwineClientOptions.SectionName));

    /// <summary>Registers the client with options bound from <paramref name="section"/> (normally <c>configuration.GetSection("Twine")</c>).</summary>
    public static IHttpClientBuilder AddTwineClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return services.AddTwineClient(builder => builder.Bind(section));
    }

    /// <summary>Registers the client with options set in code.</summary>
    public static IHttpClientBuilder AddTwineClient(this IServiceCollection services, Action<TwineClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddTwineClient(builder => builder.Configure(configure));
    }

    private static IHttpClientBuilder AddTwineClient(this IServiceCollection services, Action<OptionsBuilder<TwineClientOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);

        configureOptions(services.AddOptions<TwineClientOptions>().ValidateOnStart());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwineClientOptions>, TwineClientOptionsValidator>());

        // Tests register a FakeTimeProvider before this; the resilience pipeline resolves the same one from DI.
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.TryAddSingleton<ITwineCredentialsProvider, OptionsTwineCredentialsProvider>();
        services.TryAddSingleton<TwineTokenProvider>();
        services.TryAddSingleton<ITwineTokenProvider>(sp => sp.GetRequiredService<TwineTokenProvider>());

        var builder = services
            .AddHttpClient<ITwineClient, TwineClient>(HttpClientName, static (sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<TwineClientOptions>>().Value;
                http.BaseAddress = WithTrailingSlash(options.BaseAddress!);

                // The pipeline's total timeout bounds each call; HttpClient's own 100 s would cut it short or confuse it.
                http.Timeout = Timeout.InfiniteTimeSpan;
            });

        builder.AddResilienceHandler("twine", static (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<TwineClientOptions>>().Value;
            ConfigurePipeline(pipeline, options);
        });

        return builder;
    }

    /// <summary>Total timeout, then retry, then circuit breaker, then per-attempt timeout (outermost first).</summary>
    private static void ConfigurePipeline(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, TwineClientOptions options)
    {
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "twine-total", Timeout = options.TotalTimeout });

        if (options.MaxRetryAttempts > 0)
        {
            var retry = new HttpRetryStrategyOptions
            {
                Name = "twine-retry",
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,

                // Retry-After on 429/503 sets the delay instead of the back-off.
                ShouldRetryAfterHeader = true,
            };

            // Transient (408, 429, 5xx, connection failure, attempt timeout) AND marked safe to repeat.
            var isTransient = retry.ShouldHandle;
            retry.ShouldHandle = async args =>
                IsRetryable(args.Context.GetRequestMessage()) && await isTransient(args).ConfigureAwait(false);
            pipeline.AddRetry(retry);
        }

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            Name = "twine-circuit-breaker",
            FailureRatio = options.CircuitBreakerFailureRatio,
            MinimumThroughput = options.CircuitBreakerMinimumThroughput,
            SamplingDuration = options.CircuitBreakerSamplingDuration,
            BreakDuration = options.CircuitBreakerBreakDuration,
        });

        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "twine-attempt", Timeout = options.AttemptTimeout });
    }

    private static bool IsRetryable(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(TwineRequestOptions.Retryable, out var retryable) && retryable;

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
