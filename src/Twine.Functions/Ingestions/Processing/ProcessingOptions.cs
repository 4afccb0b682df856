using Microsoft.Extensions.Options;
using Twine.Functions.Platform.Hosting;

namespace Twine.Functions.Ingestions.Processing;

/// <summary>Settings of the queue processing, bound from the configuration section <c>Processing</c> and validated at start-up.</summary>
public sealed class ProcessingOptions
{
    public const string SectionName = "Processing";

    /// <summary>
    /// How long a message keeps being rescheduled after its first transient failure (Twine 429/5xx, timeout,
    /// connection failure, credentials unreadable) before it is recorded as failed. <c>Processing__RetryFor</c>; default 24 h.
    /// </summary>
    [SettingRange(typeof(TimeSpan), "00:01:00", "30.00:00:00", ParseLimitsInInvariantCulture = true,
        ErrorMessage = SectionName + ":" + nameof(RetryFor) + " must be between 00:01:00 and 30.00:00:00 (a TimeSpan, e.g. 1.00:00:00 for a day).")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>The data annotations of <see cref="ProcessingOptions"/>, checked by generated code at start-up.</summary>
[OptionsValidator]
internal sealed partial class ProcessingOptionsValidator : IValidateOptions<ProcessingOptions>;
