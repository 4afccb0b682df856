using System.Globalization;
using Twine.Client.Models;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// When an email that is not final yet is read again by id (docs/POLLING.md, late statuses): 1 h, 6 h, 1 day, 3 days and
/// 7 days after its send_time, at most five GETs over its life, and never after 7 days.
/// </summary>
public static class EmailRecheckSchedule
{
    /// <summary>The checks, as offsets from send_time.</summary>
    public static readonly TimeSpan[] Offsets =
        [TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromDays(1), TimeSpan.FromDays(3), TimeSpan.FromDays(7)];

    /// <summary>The last check: an email older than this is not read again.</summary>
    public static TimeSpan Horizon => Offsets[^1];

    /// <summary>
    /// Statuses after which nothing the table keeps can change any more (swagger.yaml EmailHistoryResource status_times):
    /// the mail provider gave up (<c>dropped</c>, <c>bounce</c>), the patient acted on the email for good
    /// (<c>spamreport</c>, <c>unsubscribe</c>) or clicked it (the furthest an email goes). <c>processed</c>,
    /// <c>deferred</c>, <c>delivered</c> and <c>open</c> can still be followed by another status.
    /// </summary>
    public static readonly string[] FinalStatuses = ["dropped", "bounce", "spamreport", "unsubscribe", "click"];

    public static bool IsFinal(EmailStatusTimes? times) =>
        EmailHistoryRow.StatusTimes(times).Any(t => FinalStatuses.Contains(t.Status, StringComparer.Ordinal));

    /// <summary>The first check strictly after <paramref name="after"/>; null when the last one is past (older than 7 days).</summary>
    public static DateTimeOffset? NextDue(DateTimeOffset sendTime, DateTimeOffset after)
    {
        foreach (var offset in Offsets)
        {
            var due = sendTime + offset;
            if (due > after)
            {
                return due;
            }
        }

        return null;
    }

    /// <summary>
    /// The EmailRecheck partition of a due time: the UTC hour, <c>yyyyMMddHH</c>. Keys sort in time order, so "everything
    /// due by now" is the key range up to the current hour (and a DueAt filter within it).
    /// </summary>
    public static string Bucket(DateTimeOffset due) =>
        due.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
}
