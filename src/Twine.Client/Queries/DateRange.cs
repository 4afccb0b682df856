using System.Globalization;

namespace Twine.Client.Queries;

/// <summary>
/// A time range for Twine's date filters: start inclusive, end exclusive, written <c>start..end</c> in ISO 8601
/// (e.g. <c>2017-11-01T00:00:00.000-04:00..2017-12-01T00:00:00.000-05:00</c>).
/// </summary>
public sealed record DateRange
{
    public DateRange(DateTimeOffset start, DateTimeOffset end)
    {
        if (end <= start)
        {
            throw new ArgumentException("The end of a date range must be after its start.", nameof(end));
        }

        Start = start;
        End = end;
    }

    public DateTimeOffset Start { get; }
    public DateTimeOffset End { get; }

    public override string ToString() => $"{Format(Start)}..{Format(End)}";

    private static string Format(DateTimeOffset value) =>
        value.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
}
