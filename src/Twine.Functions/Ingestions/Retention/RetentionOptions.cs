using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Ingestions.Retention;

/// <summary>
/// Retention settings (section <c>Retention</c>, e.g. <c>Retention__Days</c>), validated at start-up. <c>Schedule</c> is
/// read by the timer binding itself (<c>%Retention:Schedule%</c>); this copy is only validated.
/// </summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>NCRONTAB with seconds. Default: every day at 02:30 UTC.</summary>
    [Required]
    public string Schedule { get; set; } = "0 30 2 * * *";

    /// <summary>
    /// Ingestions created longer ago than this are deleted with their results, kept messages and request keys (an
    /// ingestion still in flight is kept). Request keys only need to outlive a partner's retries (24 hours, see
    /// IdempotencyKeyStore), so they go with their ingestion.
    /// </summary>
    [Range(1, 3650)]
    public int Days { get; set; } = 30;

    /// <summary>At most this many ingestions are deleted per run; the next run continues where this one stopped.</summary>
    [Range(1, 1_000_000)]
    public int MaxIngestionsPerRun { get; set; } = 20_000;

    /// <summary>A run stops after the page that takes it past this (the timer's functionTimeout is longer), and the next run continues.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:09:00")]
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(8);
}

[OptionsValidator]
public sealed partial class RetentionOptionsValidator : IValidateOptions<RetentionOptions>;
