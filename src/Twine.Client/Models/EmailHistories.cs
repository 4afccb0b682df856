namespace Twine.Client.Models;

/// <summary>One email sent through Twine.</summary>
public sealed class EmailHistoryResource() : TwineResource<EmailHistoryAttributes, EmailHistoryRelationships>(ResourceTypes.EmailHistory);

public sealed class EmailHistoryAttributes
{
    public string? TwineEmailId { get; set; }
    public string? EmailAddress { get; set; }
    public string? EmailType { get; set; }
    public DateTimeOffset? SendTime { get; set; }

    /// <summary>When each status was reached; the current one is the most recent.</summary>
    public EmailStatusTimes? StatusTimes { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

public sealed class EmailStatusTimes
{
    public DateTimeOffset? Processed { get; set; }
    public DateTimeOffset? Dropped { get; set; }
    public DateTimeOffset? Deferred { get; set; }
    public DateTimeOffset? Bounce { get; set; }
    public DateTimeOffset? Open { get; set; }
    public DateTimeOffset? Spamreport { get; set; }
    public DateTimeOffset? Unsubscribe { get; set; }
    public DateTimeOffset? Click { get; set; }
    public DateTimeOffset? Delivered { get; set; }
}

public sealed class EmailHistoryRelationships
{
    public Relationship? Sender { get; set; }
    public Relationship? Receiver { get; set; }
}
