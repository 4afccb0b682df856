using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Storage;

/// <summary>Table and queue names (configuration section "Storage"). Validated at start-up against Azure's naming rules.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    // Azure Table names: 3-63 alphanumerics, starting with a letter.
    private const string TableName = "^[A-Za-z][A-Za-z0-9]{2,62}$";

    // Azure queue names: 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric.
    private const string QueueName = "^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$";

    [Required, RegularExpression(TableName)]
    public string IngestionsTable { get; set; } = "Ingestions";


    [Required, RegularExpression(TableName)]
    public string CalendarEventLinksTable { get; set; } = "CalendarEventLinks";

    [Required, RegularExpression(TableName)]
    public string IngestionKeysTable { get; set; } = "IngestionKeys";

    /// <summary>The history index: PK = day (yyyyMMdd), RK = inverted creation time + id (docs/STORAGE.md).</summary>
    [Required, RegularExpression(TableName)]
    public string IngestionIndexTable { get; set; } = "IngestionIndex";

    /// <summary>The queue messages as the edge wrote them, kept for replay until retention (PK = ingestion id, RK = message index).</summary>
    [Required, RegularExpression(TableName)]
    public string IngestionMessagesTable { get; set; } = "IngestionMessages";

    [Required, RegularExpression(QueueName)]
    public string MetricsQueue { get; set; } = "twine-metrics";

    [Required, RegularExpression(QueueName)]
    public string CalendarEventsQueue { get; set; } = "twine-calendar-events";
}

[OptionsValidator]
public sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>;
