using System.Collections;
using Microsoft.Extensions.Logging.Testing;

namespace Twine.Testing;

/// <summary>Everything a log record carries, as one text to search for patient data: message, event, structured state, scopes, exception.</summary>
public static class LogRecordText
{
    public static string Of(FakeLogRecord record)
    {
        var parts = new List<string?> { record.Message, record.Id.Name, record.Exception?.ToString() };
        foreach (var pair in record.StructuredState ?? [])
        {
            parts.Add(pair.Key);
            parts.Add(pair.Value);
        }

        foreach (var scope in record.Scopes)
        {
            parts.Add(scope?.ToString());
            if (scope is IEnumerable items and not string)
            {
                foreach (var item in items)
                {
                    parts.Add(item?.ToString());
                }
            }
        }

        return string.Join(" | ", parts.Where(p => p is not null));
    }
}
