using Twine.Client;
using Twine.Client.Models;
using Twine.Client.Paging;
using Twine.Client.Queries;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// Finds the event an earlier, interrupted attempt may have created (it died between Twine's answer and recording the
/// id). Twine's calendar_event has no field for a private marker (every attribute is shown to coaches and patients), so
/// the match is on what was sent: same owner, type and start (server-side filters), created since the claim (less a
/// clock-skew allowance), and the same title, end, all-day flag, time zone, location, description and attendees.
/// </summary>
public sealed class CreatedEventFinder(ITwineClient twine, TimeProvider timeProvider)
{
    /// <summary>Twine's clock and ours may differ; an event created this long before the claim still counts.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    public async Task<CalendarEventResource?> FindAsync(CalendarEventResource sent, DateTimeOffset claimedAt, CancellationToken cancellationToken)
    {
        var attributes = sent.Attributes!;
        var owner = sent.Relationships?.Owner?.Id;
        if (owner is null || attributes.StartAt is not { } start)
        {
            return null;
        }

        var query = new CalendarEventQuery
        {
            Patient = owner,
            Type = attributes.Type,
            StartAt = new DateRange(start, start.AddMilliseconds(1)),
            CreatedAt = new DateRange(claimedAt - ClockSkewAllowance, timeProvider.GetUtcNow() + ClockSkewAllowance),
            PageLimit = 50,
        };
        await foreach (var candidate in twine.FetchCalendarEventsPagesAsync(query, cancellationToken).ResourcesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Matches(sent, candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static bool Matches(CalendarEventResource sent, CalendarEventResource found)
    {
        var a = sent.Attributes!;
        var b = found.Attributes;
        return b is not null
            && found.Relationships?.Owner?.Id == sent.Relationships?.Owner?.Id
            && a.Type == b.Type
            && a.Title == b.Title
            && a.StartAt == b.StartAt
            && a.EndAt == b.EndAt
            && (a.AllDay ?? false) == (b.AllDay ?? false)
            && Same(a.TimeZone, b.TimeZone)
            && Same(a.Location, b.Location)
            && Same(a.Description, b.Description)
            && (a.Attendees ?? []).Select(x => x.User).SequenceEqual((b.Attendees ?? []).Select(x => x.User));
    }

    private static bool Same(string? x, string? y) => string.Equals(x ?? "", y ?? "", StringComparison.Ordinal);
}
