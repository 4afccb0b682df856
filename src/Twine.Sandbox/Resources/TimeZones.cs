using System.Diagnostics.CodeAnalysis;

namespace Twine.Sandbox.Resources;

/// <summary>
/// calendar_event.time_zone: "the time zone in which the dates for the calendar event are specified", an IANA (tz
/// database) name such as America/New_York, as in the spec's examples. .NET finds Windows ids ("Eastern Standard
/// Time") too, through ICU, and on Linux also matches names case-insensitively and finds files of the zoneinfo folder
/// that are not zones; this accepts exactly the IANA names:
/// <list type="number">
/// <item>TimeZoneInfo.TryFindSystemTimeZoneById(name) finds a zone, and</item>
/// <item>that zone's HasIanaId is true (a Windows id gives false), and</item>
/// <item>that zone's Id equals the name, ordinal and case-sensitive ("america/new_york" and "Utc" are refused), and</item>
/// <item>the name is not a zoneinfo folder artifact: it does not start with "posix/" or "right/" and is not
/// "localtime" or "posixrules".</item>
/// </list>
/// </summary>
internal static class TimeZones
{
    public static bool TryFindIana(string name, [NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        zone = null;
        if (name.StartsWith("posix/", StringComparison.Ordinal) || name.StartsWith("right/", StringComparison.Ordinal)
            || name is "localtime" or "posixrules")
        {
            return false;
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(name, out var found) || !found.HasIanaId || !string.Equals(found.Id, name, StringComparison.Ordinal))
        {
            return false;
        }

        zone = found;
        return true;
    }
}
