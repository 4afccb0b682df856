using Microsoft.Extensions.Options;

namespace Twine.Client;

/// <summary>Settings of the Twine client, bound from the configuration section <c>Twine</c>.</summary>
public sealed class TwineClientOptions
{
    public const string SectionName = "Twine";

    /// <summary>Twine's API root including <c>/pub</c>, e.g. <c>https://api.twinehealth.com/pub/</c>. Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Client id for the built-in credentials provider (used when no other <c>ITwineCredentialsProvider</c> is registered).</summary>
    public string? ClientId { get; set; }

    /// <summary>Client secret for the built-in credentials provider.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Limit for one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Limit for a whole call, retries and their delays included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt for retry-safe requests; 0 disables retries.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base of the exponential, jittered back-off (a <c>Retry-After</c> header wins over it).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A token is renewed this long before <c>expires_in</c> runs out.</summary>
    public TimeSpan TokenRenewalSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failure ratio over <see cref="CircuitBreakerSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls needed in the sampling window before the circuit may open (at least 2).</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before letting one through.</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Start-up validation: a wrong setting fails fast with its configuration key.</summary>
internal sealed class TwineClientOptionsValidator : IValidateOptions<TwineClientOptions>
{
    private const string Prefix = TwineClientOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, TwineClientOptions options)
    {
        var failures = new List<string>();
        if (options.BaseAddress is null)
        {
            failures.Add($"{Prefix}{nameof(options.BaseAddress)} is required (Twine's API root, e.g. https://api.twinehealth.com/pub/).");
        }
        else if (!options.BaseAddress.IsAbsoluteUri || (options.BaseAddress.Scheme != Uri.UriSchemeHttp && options.BaseAddress.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{Prefix}{nameof(options.BaseAddress)} must be an absolute http(s) URL.");
        }

        Positive(options.AttemptTimeout, nameof(options.AttemptTimeout));
        Positive(options.TotalTimeout, nameof(options.TotalTimeout));
        Positive(options.RetryBaseDelay, nameof(options.RetryBaseDelay));
        if (options.AttemptTimeout > options.TotalTimeout)
        {
            failures.Add($"{Prefix}{nameof(options.AttemptTimeout)} must not exceed {Prefix}{nameof(options.TotalTimeout)}.");
        }

        if (options.MaxRetryAttempts is < 0 or > 10)
        {
            failures.Add($"{Prefix}{nameof(options.MaxRetryAttempts)} must be between 0 and 10.");
        }

        if (options.TokenRenewalSkew < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{nameof(options.TokenRenewalSkew)} must not be negative.");
        }

        if (options.CircuitBreakerFailureRatio is <= 0 or > 1)
        {
            failures.Add($"{Prefix}{nameof(options.CircuitBreakerFailureRatio)} must be in (0, 1].");
        }

        if (options.CircuitBreakerMinimumThroughput < 2)
        {
            failures.Add($"{Prefix}{nameof(options.CircuitBreakerMinimumThroughput)} must be at least 2.");
        }

        if (options.CircuitBreakerSamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            failures.Add($"{Prefix}{nameof(options.CircuitBreakerSamplingDuration)} must be at least 0.5 s.");
        }

        if (options.CircuitBreakerBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            failures.Add($"{Prefix}{nameof(options.CircuitBreakerBreakDuration)} must be at least 0.5 s.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(TimeSpan value, string setting)
        {
            // Polly's timeout strategy accepts 10 ms .. 24 h.
            if (value < TimeSpan.FromMilliseconds(10) || value > TimeSpan.FromHours(24))
            {
                failures.Add($"{Prefix}{setting} must be between 10 ms and 24 h.");
            }
        }
    }
}
