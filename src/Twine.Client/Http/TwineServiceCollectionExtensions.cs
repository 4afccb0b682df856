using Microsoft.Extensions.Configuration;
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

    /// <summary>
    /// Registers the client with options bound from the configuration section <c>Twine</c> (of the IConfiguration in DI),
    /// and the resilience options from <c>Twine:Resilience</c>.
    /// </summary>
    public static IHttpClientBuilder AddTwineClient(this IServiceCollection services) =>
        services.AddTwineClient(
            client => client.BindConfiguration(TwineClientOptions.SectionName),
            resilience => resilience.BindConfiguration(ConfigurationPath.Combine(TwineClientOptions.SectionName, TwineClientOptions.ResilienceSectionName), StrictBinding));

    /// <summary>
    /// Registers the client with options bound from <paramref name="section"/> (normally <c>configuration.GetSection("Twine")</c>),
    /// and the resilience options from its subsection <c>Resilience</c>.
    /// </summary>
    public static IHttpClientBuilder AddTwineClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return services.AddTwineClient(
            client => client.Bind(section),
            resilience => resilience.Bind(section.GetSection(TwineClientOptions.ResilienceSectionName), StrictBinding));
    }

    /// <summary>Registers the client with options set in code; <paramref name="configureResilience"/> changes the resilience defaults.</summary>
    public static IHttpClientBuilder AddTwineClient(
        this IServiceCollection services,
        Action<TwineClientOptions> configure,
        Action<HttpStandardResilienceOptions>? configureResilience = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddTwineClient(
            client => client.Configure(configure),
            resilience =>
            {
                if (configureResilience is not null)
                {
                    resilience.Configure(configureResilience);
                }
            });
    }

    private static IHttpClientBuilder AddTwineClient(
        this IServiceCollection services,
        Action<OptionsBuilder<TwineClientOptions>> configureClient,
        Action<OptionsBuilder<HttpStandardResilienceOptions>> configureResilience)
    {
        ArgumentNullException.ThrowIfNull(services);

        configureClient(services.AddOptions<TwineClientOptions>().ValidateOnStart());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwineClientOptions>, TwineClientOptionsValidator>());

        // Tests register a FakeTimeProvider before this; the resilience pipeline resolves the same one from DI.
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.TryAddSingleton<ITwineCredentialsProvider, OptionsTwineCredentialsProvider>();
        services.TryAddSingleton<TwineTokenProvider>();
        services.TryAddSingleton<ITwineTokenProvider>(sp => sp.GetRequiredService<TwineTokenProvider>());

        var builder = services.AddHttpClient<ITwineClient, TwineClient>(HttpClientName, static (sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<TwineClientOptions>>().Value;
            http.BaseAddress = WithTrailingSlash(options.BaseAddress!);
        });

        // The standard pipeline, outermost first: rate limiter, total timeout, retry, circuit breaker, attempt timeout.
        // It sets HttpClient.Timeout to infinite so the total timeout bounds each call, and validates its options at
        // start-up. It is the first DelegatingHandler on this builder, so a handler a caller adds to the returned builder
        // afterwards (AddHttpMessageHandler) sits inside it, between the pipeline and the socket: it runs once per
        // attempt, retries included (the Functions app adds one to observe each attempt). Add no handler before this one.
        var resilience = builder.AddStandardResilienceHandler();
        var resilienceOptions = services.AddOptions<HttpStandardResilienceOptions>(resilience.PipelineName).Configure(ApplyDefaults);
        configureResilience(resilienceOptions);

        // After every Configure, so that no setting (nor a Retry replaced in code) can make a create retryable.
        resilienceOptions.PostConfigure<IOptionsMonitor<TwineClientOptions>>(static (options, client) =>
            OnlyRetryWhatIsSafeToRepeat(options.Retry, client));

        return builder;
    }

    /// <summary>
    /// The client's defaults, spelt out even where the standard handler's are the same so that a library update does not
    /// change them; settings bound or configured afterwards win.
    /// </summary>
    private static void ApplyDefaults(HttpStandardResilienceOptions options)
    {
        options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
        options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(60);

        // Jittered exponential back-off from 1 s; a Retry-After header on 429/503 sets the delay instead
        // (HttpRetryStrategyOptions.ShouldRetryAfterHeader, true by default).
        options.Retry.MaxRetryAttempts = 3;
        options.Retry.Delay = TimeSpan.FromSeconds(1);

        options.CircuitBreaker.FailureRatio = 0.5;
        options.CircuitBreaker.MinimumThroughput = 20;
        options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(30);
        options.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(15);

        // A 429 is Twine pacing this client, not failing: the retry waits out its Retry-After; it must not open the
        // circuit and fail every call for the break duration (under a rate limit that turned into long pauses).
        options.CircuitBreaker.ShouldHandle = static args => ValueTask.FromResult(
            args.Outcome.Result?.StatusCode != System.Net.HttpStatusCode.TooManyRequests && HttpClientResiliencePredicates.IsTransient(args.Outcome));
    }

    /// <summary>
    /// The standard retry handles transient outcomes (408, 429, 5xx, connection failure, attempt timeout) whatever the
    /// request; here it also requires the request to be marked safe to repeat (<see cref="TwineRequestOptions.Retryable"/>),
    /// so a create that could make a duplicate is sent once. With <see cref="TwineClientOptions.EnableRetries"/> false
    /// nothing is retried. (The client options are read per outcome, not here: their own validation reports their errors.)
    /// </summary>
    private static void OnlyRetryWhatIsSafeToRepeat(HttpRetryStrategyOptions retry, IOptionsMonitor<TwineClientOptions> client)
    {
        var isTransient = retry.ShouldHandle;
        retry.ShouldHandle = async args =>
            client.CurrentValue.EnableRetries
            && IsRetryable(args.Context.GetRequestMessage())
            && await isTransient(args).ConfigureAwait(false);
    }

    private static bool IsRetryable(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(TwineRequestOptions.Retryable, out var retryable) && retryable;

    /// <summary>A misspelt resilience setting fails at start-up instead of being ignored (as the library's own binding does).</summary>
    private static void StrictBinding(BinderOptions binder) => binder.ErrorOnUnknownConfiguration = true;

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
