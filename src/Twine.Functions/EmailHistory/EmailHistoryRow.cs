using Azure.Data.Tables;
using Twine.Client.Models;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// An EmailHistory row (PK = receiver id, RK = email history id). Each status time is its own column
/// (<c>Status_open</c> …): rows are written with merge, and Twine only ever adds status times, so a run that read a page
/// earlier than another can never remove a status the other stored. The current status is derived from those columns.
/// </summary>
public static class EmailHistoryRow
{
    public const string StatusPrefix = "Status_";

    /// <summary>The spec's status_times names, in the order the columns are read.</summary>
    public static readonly string[] Statuses = ["processed", "dropped", "deferred", "bounce", "open", "spamreport", "unsubscribe", "click", "delivered"];

    /// <summary>Null when Twine's resource lacks what the keys need (id, receiver).</summary>
    public static TableEntity? From(EmailHistoryResource email, EmailHashKey key, DateTimeOffset polledAt)
    {
        var receiver = email.Relationships?.Receiver?.Id;
        if (string.IsNullOrEmpty(email.Id) || string.IsNullOrEmpty(receiver) || !TableKeys.IsSafeKey(email.Id) || !TableKeys.IsSafeKey(receiver))
        {
            return null;
        }

        var attributes = email.Attributes ?? new EmailHistoryAttributes();
        var row = new TableEntity(receiver, email.Id)
        {
            ["Receiver"] = receiver,
            ["PolledAt"] = polledAt,
        };
        Add(row, "Sender", email.Relationships?.Sender?.Id);
        Add(row, "EmailType", attributes.EmailType);
        Add(row, "SendTime", attributes.SendTime);
        Add(row, "TwineEmailId", attributes.TwineEmailId);
        Add(row, "EmailAddressHash", EmailAddressHasher.Hash(key, attributes.EmailAddress));
        Add(row, "UpdatedAt", attributes.UpdatedAt);

        var times = StatusTimes(attributes.StatusTimes);
        foreach (var (status, at) in times)
        {
            row[StatusPrefix + status] = at;
        }

        // For people browsing the table. Two overlapping runs can leave these a step behind the status columns until the next
        // run; the read endpoint derives the current status from the columns instead.
        if (Current(times) is { } current)
        {
            row["Status"] = current.Status;
            row["StatusAt"] = current.At;
        }

        return row;
    }

    public static List<(string Status, DateTimeOffset At)> StatusTimes(EmailStatusTimes? times)
    {
        var list = new List<(string, DateTimeOffset)>();
        if (times is null)
        {
            return list;
        }

        void Add(string name, DateTimeOffset? at)
        {
            if (at is { } value)
            {
                list.Add((name, value));
            }
        }

        Add("processed", times.Processed);
        Add("dropped", times.Dropped);
        Add("deferred", times.Deferred);
        Add("bounce", times.Bounce);
        Add("open", times.Open);
        Add("spamreport", times.Spamreport);
        Add("unsubscribe", times.Unsubscribe);
        Add("click", times.Click);
        Add("delivered", times.Delivered);
        return list;
    }

    /// <summary>The status reached last (ties: the later in the spec's list).</summary>
    public static (string Status, DateTimeOffset At)? Current(IEnumerable<(string Status, DateTimeOffset At)> times) =>
        times.Select((t, i) => (t, i)).OrderBy(x => x.t.At).ThenBy(x => x.i).Select(x => ((string, DateTimeOffset)?)x.t).LastOrDefault();

    // Table keys may not contain / \ # ? or control characters; Twine ids are hex, so anything else is refused.

    private static void Add(TableEntity row, string name, object? value)
    {
        if (value is not null)
        {
            row[name] = value;
        }
    }
}
