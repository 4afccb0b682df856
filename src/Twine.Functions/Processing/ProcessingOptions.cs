using Microsoft.Extensions.Options;

namespace Twine.Functions.Processing;

/// <summary>Settings of the queue processing, bound from the configuration section <c>Processing</c> and validated at start-up.</summary>
public sealed class ProcessingOptions
{
    public const string SectionName = "Processing";

    /// <summary>
    /// How long a message keeps being rescheduled after its first transient failure (Twine 429/5xx, timeout,
    /// connection failure, credentials unreadable) before it is recorded as failed. <c>Processing__RetryFor</c>; default 24 h.
    /// </summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);
}

internal sealed class ProcessingOptionsValidator : IValidateOptions<ProcessingOptions>
{
    public static readonly TimeSpan MinRetryFor = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxRetryFor = TimeSpan.FromDays(30);

    public ValidateOptionsResult Validate(string? name, ProcessingOptions options) =>
        options.RetryFor < MinRetryFor || options.RetryFor > MaxRetryFor
            ? ValidateOptionsResult.Fail($"{ProcessingOptions.SectionName}:{nameof(ProcessingOptions.RetryFor)} must be between 00:01:00 and 30.00:00:00 (a TimeSpan, e.g. 1.00:00:00 for a day).")
            : ValidateOptionsResult.Success;
}
