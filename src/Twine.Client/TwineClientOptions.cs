using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Twine.Client;

/// <summary>
/// Settings of the Twine client, bound from the configuration section <c>Twine</c>. The HTTP resilience settings
/// (timeouts, retries, circuit breaker) are not here: they are Microsoft.Extensions.Http.Resilience's own
/// <c>HttpStandardResilienceOptions</c>, bound from <c>Twine:Resilience</c> (see <see cref="ResilienceSectionName"/>).
/// </summary>
public sealed class TwineClientOptions
{
    public const string SectionName = "Twine";

    /// <summary>The subsection of <see cref="SectionName"/> bound to the standard resilience handler's options.</summary>
    public const string ResilienceSectionName = "Resilience";

    /// <summary>Twine's API root including <c>/pub</c>, e.g. <c>https://api.twinehealth.com/pub/</c>. Required.</summary>
    [Required(ErrorMessage = "Twine:BaseAddress is required (Twine's API root, e.g. https://api.twinehealth.com/pub/).")]
    [AbsoluteHttpUri(ErrorMessage = "Twine:BaseAddress must be an absolute http(s) URL.")]
    public Uri? BaseAddress { get; set; }

    /// <summary>Client id for the built-in credentials provider (used when no other <c>ITwineCredentialsProvider</c> is registered).</summary>
    public string? ClientId { get; set; }

    /// <summary>Client secret for the built-in credentials provider.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>A token is renewed this long before <c>expires_in</c> runs out.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Twine:TokenRenewalSkew must be between 0 and 1 day.")]
    public TimeSpan TokenRenewalSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// False turns the resilience pipeline's retries off: every request is sent once. (Polly requires
    /// <c>Twine:Resilience:Retry:MaxRetryAttempts</c> to be at least 1, so 0 there cannot say it.)
    /// </summary>
    public bool EnableRetries { get; set; } = true;
}

/// <summary>Start-up validation of the data annotations above (source-generated); the resilience options validate themselves.</summary>
[OptionsValidator]
internal sealed partial class TwineClientOptionsValidator : IValidateOptions<TwineClientOptions>;

/// <summary>An absolute <c>http</c> or <c>https</c> URI (or null: <see cref="RequiredAttribute"/> says whether that is allowed).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AbsoluteHttpUriAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is null || (value is Uri { IsAbsoluteUri: true } uri && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps));
}
