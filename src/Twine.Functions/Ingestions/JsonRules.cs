using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions;

/// <summary>Small checks shared by the metric and calendar-event validators; each adds a pointer-carrying error.</summary>
public static partial class JsonRules
{
    // RFC 3339 / ISO 8601 date-time with seconds and an explicit offset (Z or ±hh:mm).
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Timestamp();

    // Repeated members are refused (a partner's duplicate key would otherwise silently win); depth is bounded.
    private static readonly JsonDocumentOptions StrictOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>
    /// Parses JSON strictly (no duplicate members, depth 64). On failure <paramref name="reason"/> says why, without
    /// quoting the input: where the syntax broke, or that a member name is not valid Unicode.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> utf8, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out string? reason) =>
        TryParse(() => JsonDocument.Parse(utf8, StrictOptions), out document, out reason);

    /// <inheritdoc cref="TryParse(ReadOnlyMemory{byte}, out JsonDocument?, out string?)"/>
    public static bool TryParse(string text, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out string? reason) =>
        TryParse(() => JsonDocument.Parse(text, StrictOptions), out document, out reason);

    private static bool TryParse(Func<JsonDocument> parse, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out string? reason)
    {
        try
        {
            document = parse();
            reason = null;
            return true;
        }
        catch (JsonException e)
        {
            reason = $"line {e.LineNumber}, byte {e.BytePositionInLine}";
        }
        catch (InvalidOperationException)
        {
            // The duplicate-member check unescapes member names: a lone surrogate escape (\ud800) in one throws this, not JsonException.
            reason = "a member name is not valid Unicode";
        }

        document = null;
        return false;
    }

    public static bool TryGetObject(JsonElement parent, string name, string pointer, List<ProblemError> errors, out JsonElement value, bool required = true)
    {
        if (parent.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            if (value.ValueKind == JsonValueKind.Object)
            {
                return true;
            }

            errors.Add(ProblemError.AtPointer($"{pointer}/{name}", $"'{name}' must be an object."));
            return false;
        }

        if (required)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/{name}", $"'{name}' is required."));
        }

        return false;
    }

    /// <summary>A string member; required ones must be non-blank.</summary>
    public static string? GetString(JsonElement parent, string name, string pointer, List<ProblemError> errors, bool required)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors.Add(ProblemError.AtPointer($"{pointer}/{name}", $"'{name}' is required."));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/{name}", $"'{name}' must be a string."));
            return null;
        }

        var text = value.GetString()!;
        if (required && string.IsNullOrWhiteSpace(text))
        {
            errors.Add(ProblemError.AtPointer($"{pointer}/{name}", $"'{name}' must not be empty."));
            return null;
        }

        return text;
    }

    /// <summary>Adds an error for every member of <paramref name="element"/> not in <paramref name="allowed"/>.</summary>
    public static void CheckMembers(JsonElement element, string pointer, string[] allowed, List<ProblemError> errors)
    {
        foreach (var member in element.EnumerateObject())
        {
            if (!allowed.Contains(member.Name, StringComparer.Ordinal))
            {
                errors.Add(ProblemError.AtPointer($"{pointer}/{EscapePointer(member.Name)}", $"Unknown member; allowed here: {string.Join(", ", allowed)}."));
            }
        }
    }

    public static bool? GetBoolean(JsonElement parent, string name, string pointer, List<ProblemError> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        errors.Add(ProblemError.AtPointer($"{pointer}/{name}", $"'{name}' must be true or false."));
        return null;
    }

    /// <summary>An ISO 8601 timestamp with an offset; the offset is kept (calendar rules depend on it).</summary>
    public static DateTimeOffset? GetTimestamp(JsonElement parent, string name, string pointer, List<ProblemError> errors, bool required)
    {
        var text = GetString(parent, name, pointer, errors, required);
        if (text is null)
        {
            return null;
        }

        if (TryParseTimestamp(text, out var parsed))
        {
            return parsed;
        }

        errors.Add(ProblemError.AtPointer($"{pointer}/{name}",
            $"'{name}' must be an ISO 8601 date and time with seconds and an offset, e.g. 2017-03-14T11:00:57.000Z or 2017-03-14T07:00:57-04:00."));
        return null;
    }

    /// <summary>True when <see cref="GetTimestamp"/> takes <paramref name="text"/>.</summary>
    public static bool IsTimestamp(string text) => TryParseTimestamp(text, out _);

    private static bool TryParseTimestamp(string text, out DateTimeOffset parsed)
    {
        parsed = default;
        return Timestamp().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out parsed);
    }

    /// <summary>
    /// The value rules of the one contract that the HTTP edge and the queue processor both enforce (docs/QUEUE-MESSAGES.md),
    /// checked in one walk over a request body or a queue message before any other rule reads it:
    /// <list type="bullet">
    /// <item>every member name and string is valid Unicode (the parser accepts invalid UTF-8 bytes and escaped lone
    /// surrogates, and only reading the string throws);</item>
    /// <item>every number is a finite double (<c>1e400</c> parses, but Twine's serialiser cannot write infinity);</item>
    /// <item>a resource (each item of <c>data</c>) nests at most <see cref="Queues.QueueMessageLimits.MaxResourceDepth"/>
    /// levels, counted from the resource itself, so that its depth does not depend on the envelope around it (request
    /// body, queue message, Twine request): every envelope adds at most two levels, far inside the parser's 64.</item>
    /// </list>
    /// Returns false after the first broken rule (its pointer in <paramref name="errors"/>): nothing else may read the document.
    /// </summary>
    public static bool CheckValues(JsonElement root, List<ProblemError> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return CheckValues(root, "", Queues.QueueMessageLimits.MaxResourceDepth, errors);
        }

        try
        {
            foreach (var member in root.EnumerateObject())
            {
                var pointer = "/" + EscapePointer(member.Name);
                if (member.NameEquals("data") && member.Value.ValueKind == JsonValueKind.Array)
                {
                    var index = 0;
                    foreach (var resource in member.Value.EnumerateArray())
                    {
                        if (!CheckValues(resource, $"{pointer}/{index++}", Queues.QueueMessageLimits.MaxResourceDepth, errors))
                        {
                            return false;
                        }
                    }
                }
                else if (!CheckValues(member.Value, pointer, Queues.QueueMessageLimits.MaxResourceDepth, errors))
                {
                    return false;
                }
            }
        }
        catch (InvalidOperationException)
        {
            errors.Add(ProblemError.AtPointer("", InvalidText));
            return false;
        }

        return true;
    }

    private const string InvalidText = "Text must be valid Unicode in UTF-8 (no invalid bytes, no lone surrogate escapes).";

    /// <param name="depthLeft">Levels the value may still open, counting itself (an object or array with 0 left is too deep).</param>
    private static bool CheckValues(JsonElement element, string pointer, int depthLeft, List<ProblemError> errors)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                case JsonValueKind.Number:
                    if (element.TryGetDouble(out var number) && double.IsFinite(number))
                    {
                        return true;
                    }

                    errors.Add(ProblemError.AtPointer(pointer, "Numbers must be finite: at most ±1.7976931348623157e308."));
                    return false;
                case JsonValueKind.Object:
                    if (depthLeft <= 0)
                    {
                        return TooDeep(pointer, errors);
                    }

                    foreach (var member in element.EnumerateObject())
                    {
                        if (!CheckValues(member.Value, $"{pointer}/{EscapePointer(member.Name)}", depthLeft - 1, errors))
                        {
                            return false;
                        }
                    }

                    return true;
                case JsonValueKind.Array:
                    if (depthLeft <= 0)
                    {
                        return TooDeep(pointer, errors);
                    }

                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (!CheckValues(item, $"{pointer}/{index++}", depthLeft - 1, errors))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            errors.Add(ProblemError.AtPointer(pointer, InvalidText));
            return false;
        }
    }

    private static bool TooDeep(string pointer, List<ProblemError> errors)
    {
        errors.Add(ProblemError.AtPointer(pointer, $"Too deeply nested: a resource may nest at most {Queues.QueueMessageLimits.MaxResourceDepth} levels."));
        return false;
    }

    public static string EscapePointer(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static bool IsOneOf(string value, IReadOnlySet<string> allowed) => allowed.Contains(value);
}
