namespace Twine.Functions.CalendarEvents;

/// <summary>
/// The partner's id for a calendar event. It becomes a table partition key, so it excludes what Table Storage
/// forbids in keys (/ \ # ? and control characters) and, to stay unambiguous in URLs, '%' and whitespace.
/// </summary>
public static class ExternalId
{
    public const int MaxLength = 200;

    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "The externalId must not be empty.";
        }

        if (value.Length > MaxLength)
        {
            return $"The externalId must be at most {MaxLength} characters.";
        }

        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c) || char.IsWhiteSpace(c) || c > '\u007e')
            {
                return "The externalId may hold only printable ASCII characters other than / \\ # ? % and spaces.";
            }
        }

        return null;
    }
}
