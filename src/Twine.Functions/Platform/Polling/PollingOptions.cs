using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Twine.Functions.EmailHistory;

namespace Twine.Functions.Platform.Polling;

/// <summary>
/// PollTwineUpdates settings (section <c>PollTwineUpdates</c>, e.g. <c>PollTwineUpdates__Organization</c>), validated at
/// start-up. <c>Schedule</c> is read by the timer binding itself (<c>%PollTwineUpdates:Schedule%</c>).
/// </summary>
public sealed class PollingOptions
{
    public const string SectionName = "PollTwineUpdates";

    // Azure Table names: 3-63 alphanumerics, starting with a letter.
    private const string TableName = "^[A-Za-z][A-Za-z0-9]{2,62}$";

    /// <summary>NCRONTAB with seconds; the binding reads the setting, this copy is only validated. Default: every five minutes.</summary>
    [Required]
    public string Schedule { get; set; } = "0 */5 * * * *";

    /// <summary>The Twine organization whose calendar events are polled (filter[organization]).</summary>
    [Required, RegularExpression("^[0-9a-fA-F]{24}$")]
    public string Organization { get; set; } = "";

    /// <summary>
    /// Coach ids whose sent emails are polled besides the organization's coaches found in Twine (comma-separated in one
    /// setting): an optional addition, e.g. a sender outside the organization, or the only list when
    /// <see cref="DiscoverEmailSenders"/> is off. Twine's GET /email_history needs filter[sender] or filter[receiver].
    /// </summary>
    [TwineIdList(ErrorMessage = SectionName + "__EmailSenders must list Twine coach ids (24 hexadecimal digits), comma-separated.")]
    public string EmailSenders { get; set; } = "";

    /// <summary>
    /// Whether the email-history senders are the organization's coaches as Twine lists them (GET /coach with
    /// filter[organization], refreshed every <see cref="EmailSenderRefresh"/>), so a new coach is polled without a
    /// settings change. Off: only <see cref="EmailSenders"/>.
    /// </summary>
    public bool DiscoverEmailSenders { get; set; } = true;

    /// <summary>How long the coach list read from Twine is used before it is read again (one GET per refresh and instance).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan EmailSenderRefresh { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How far below the last poll's newest send_time the next poll reads again, so status changes (opened, bounced)
    /// that arrive after an email was first stored are seen. Longer: fresher statuses, more rows re-read per run.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan EmailOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How far below the last poll's upper bound the next updated_at filter starts (clock skew, slow writes on Twine's side).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan CalendarOverlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A run stops after the page that takes it past this, saves where it is, and the next run continues from there.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:09:00")]
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>Resources per Twine request (page[size] for email history, page[limit] for calendar events; Twine allows at most 50 for the latter).</summary>
    [Range(1, 500)]
    public int PageSize { get; set; } = 50;

    /// <summary>
    /// Key for the HMAC-SHA256 of email addresses (base64, at least 32 bytes). Empty: addresses are not stored at all.
    /// Rotating it changes every hash written afterwards.
    /// </summary>
    [Base64Key(32, ErrorMessage = SectionName + "__EmailHashKey must be base64 of at least 32 random bytes (or empty to store no addresses).")]
    public string EmailHashKey { get; set; } = "";

    /// <summary>
    /// The Key Vault secret (in <c>TwineSecrets__VaultUri</c>) holding the email hash key, base64 as for
    /// <see cref="EmailHashKey"/>; what Azure deployments set. When set it wins over <see cref="EmailHashKey"/>.
    /// Unreadable: email history is not polled (health check <c>email-hash-key</c>), everything else runs.
    /// </summary>
    [RegularExpression("^[0-9A-Za-z-]{1,127}$", ErrorMessage = SectionName + "__EmailHashKeySecretName must be a Key Vault secret name (letters, digits, hyphens).")]
    public string EmailHashKeySecretName { get; set; } = "";

    [Required, RegularExpression(TableName)]
    public string EmailHistoryTable { get; set; } = "EmailHistory";

    [Required, RegularExpression(TableName)]
    public string CalendarEventsTable { get; set; } = "CalendarEvents";

    [Required, RegularExpression(TableName)]
    public string CheckpointsTable { get; set; } = "PollCheckpoints";

    /// <summary>Emails not yet in a final status, keyed by when they are read again by id (docs/POLLING.md, late statuses).</summary>
    [Required, RegularExpression(TableName)]
    public string EmailRecheckTable { get; set; } = "EmailRecheck";

    public IReadOnlyList<string> EmailSenderIds => SplitIds(EmailSenders);

    internal static string[] SplitIds(string ids) =>
        ids.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The decoded hash key, or null when none is configured.</summary>
    public byte[]? EmailHashKeyBytes() => string.IsNullOrWhiteSpace(EmailHashKey) ? null : Convert.FromBase64String(EmailHashKey);
}

/// <summary>The data annotations of <see cref="PollingOptions"/>, checked by generated code at start-up.</summary>
[OptionsValidator]
public sealed partial class PollingOptionsValidator : IValidateOptions<PollingOptions>;

/// <summary>The rule across settings that data annotations cannot say: the four tables are different tables.</summary>
public sealed class PollingTablesValidator : IValidateOptions<PollingOptions>
{
    public ValidateOptionsResult Validate(string? name, PollingOptions options) =>
        new[] { options.EmailHistoryTable, options.CalendarEventsTable, options.CheckpointsTable, options.EmailRecheckTable }.Distinct(StringComparer.OrdinalIgnoreCase).Count() < 4
            ? ValidateOptionsResult.Fail($"{PollingOptions.SectionName}: EmailHistoryTable, CalendarEventsTable, CheckpointsTable and EmailRecheckTable must be different tables.")
            : ValidateOptionsResult.Success;
}

/// <summary>A list of Twine ids (24 hexadecimal digits) separated by commas, semicolons or spaces; empty is valid.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class TwineIdListAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is not string ids || PollingOptions.SplitIds(ids).All(id => id.Length == 24 && id.All(Uri.IsHexDigit));
}

/// <summary>Base64 of at least <paramref name="minBytes"/> bytes; empty (or blank) is valid.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class Base64KeyAttribute(int minBytes) : ValidationAttribute
{
    public int MinBytes { get; } = minBytes;

    public override bool IsValid(object? value)
    {
        if (value is not string key || string.IsNullOrWhiteSpace(key))
        {
            return true;
        }

        var bytes = new byte[key.Length];
        return Convert.TryFromBase64String(key, bytes, out var written) && written >= MinBytes;
    }
}
