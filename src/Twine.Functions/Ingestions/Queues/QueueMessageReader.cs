using System.Text.Json;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Queues;

/// <summary>
/// What every version-1 queue message shares (version, ingestionId, the retry members) and the reading of a message that
/// may be malformed. Each kind's parser (<c>MetricsMessageParser</c>, <c>CalendarEventMessageParser</c>) reads the rest as
/// strictly as the HTTP edge reads requests: a partner with queue access may enqueue directly. A message that fails
/// there is a permanent failure: record it, do not retry it.
/// </summary>
public static class QueueMessageReader
{
    public const int SupportedVersion = 1;

    /// <summary>How far in the future a <c>firstFailedAt</c> may be (instances' clocks differ a little).</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Reads what it can of a message that may be malformed (or poison): which ingestion and message it belongs to,
    /// so that its failure can be recorded against them. Never throws; unknown parts are null.
    /// </summary>
    public static QueueMessageEnvelope PeekEnvelope(string? text)
    {
        if (!JsonRules.TryParse(text ?? "", out var document, out _))
        {
            return QueueMessageEnvelope.Unknown;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return QueueMessageEnvelope.Unknown;
            }

            try
            {
                var id = root.TryGetProperty("ingestionId", out var idElement) && idElement.ValueKind == JsonValueKind.String
                    && IngestionId.IsValid(idElement.GetString()) ? idElement.GetString() : null;
                var silent = new List<ProblemError>();
                var index = ReadInt(root, "messageIndex", 0, QueueMessageLimits.MaxMessagesPerIngestion - 1, silent);
                var count = ReadInt(root, "messageCount", 1, QueueMessageLimits.MaxMessagesPerIngestion, silent);
                if (index >= count)
                {
                    (index, count) = (null, null);
                }

                var metrics = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
                    ? Math.Min(data.GetArrayLength(), QueueMessageLimits.MaxMetricsPerMessage)
                    : 0;
                return new QueueMessageEnvelope(id, index, count, metrics);
            }
            catch (InvalidOperationException)
            {
                return QueueMessageEnvelope.Unknown; // an ingestionId that is not valid Unicode
            }
        }
    }

    public static bool TryParse(string text, List<ProblemError> errors, out JsonElement root)
    {
        root = default;
        if (!JsonRules.TryParse(text, out var document, out var reason))
        {
            errors.Add(ProblemError.AtPointer("", $"The message is not valid JSON ({reason})."));
            return false;
        }

        // Cloned so the message outlives the document; messages are small (at most 48 KiB of JSON).
        using (document)
        {
            root = document.RootElement.Clone();
        }

        // The same value rules as the HTTP edge (Unicode, finite numbers, depth per resource), so that a message is recorded
        // as malformed instead of failing later (a string that throws when read, infinity Twine's serialiser cannot write).
        if (!JsonRules.CheckValues(root, errors))
        {
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer("", "The message must be a JSON object."));
            return false;
        }

        return true;
    }

    /// <summary>Checks version, ingestionId and that no unknown member is present; returns the id when it is valid.</summary>
    public static string? ReadEnvelope(JsonElement root, string[] members, List<ProblemError> errors) =>
        ReadEnvelope(root, members, errors, SupportedVersion, out _);

    /// <summary>As <see cref="ReadEnvelope(JsonElement, string[], List{ProblemError})"/> for a kind with versions 1 to <paramref name="latestVersion"/>.</summary>
    /// <param name="version">The message's version (0 when it is not one of them).</param>
    public static string? ReadEnvelope(JsonElement root, string[] members, List<ProblemError> errors, int latestVersion, out int version)
    {
        version = 0;
        foreach (var property in root.EnumerateObject())
        {
            if (!members.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(ProblemError.AtPointer("/" + JsonRules.EscapePointer(property.Name), "Unknown member for this message version."));
            }
        }

        if (!root.TryGetProperty("version", out var versionMember) || versionMember.ValueKind != JsonValueKind.Number
            || !versionMember.TryGetInt32(out var v) || v < SupportedVersion || v > latestVersion)
        {
            errors.Add(ProblemError.AtPointer("/version", latestVersion == SupportedVersion
                ? $"'version' must be {SupportedVersion}."
                : $"'version' must be an integer from {SupportedVersion} to {latestVersion}."));
        }
        else
        {
            version = v;
        }

        var id = JsonRules.GetString(root, "ingestionId", "", errors, required: true);
        if (id is not null && !IngestionId.IsValid(id))
        {
            errors.Add(ProblemError.AtPointer("/ingestionId", "'ingestionId' must be 32 lowercase hexadecimal digits."));
            return null;
        }

        return id;
    }

    /// <summary>The optional retry members: both or neither; attempt 1..MaxAttempt; firstFailedAt a timestamp not in the future.</summary>
    /// <summary>The optional retry members: both or neither; attempt 1..MaxAttempt; firstFailedAt a timestamp not in the future.</summary>
    public static QueueRetryState? ReadRetry(JsonElement root, DateTimeOffset? now, List<ProblemError> errors)
    {
        var hasAttempt = root.TryGetProperty(QueueRetryFields.Attempt, out _);
        var hasFirst = root.TryGetProperty(QueueRetryFields.FirstFailedAt, out _);
        if (!hasAttempt && !hasFirst)
        {
            return null;
        }

        if (hasAttempt != hasFirst)
        {
            var missing = hasAttempt ? QueueRetryFields.FirstFailedAt : QueueRetryFields.Attempt;
            errors.Add(ProblemError.AtPointer("/" + missing, $"'{QueueRetryFields.Attempt}' and '{QueueRetryFields.FirstFailedAt}' come together."));
            return null;
        }

        var attempt = ReadInt(root, QueueRetryFields.Attempt, 1, QueueRetryFields.MaxAttempt, errors);
        var first = JsonRules.GetTimestamp(root, QueueRetryFields.FirstFailedAt, "", errors, required: true);
        if (first is { } at && now is { } clock && at > clock + ClockSkewAllowance)
        {
            errors.Add(ProblemError.AtPointer("/" + QueueRetryFields.FirstFailedAt, $"'{QueueRetryFields.FirstFailedAt}' must not be in the future."));
            return null;
        }

        return attempt is { } n && first is { } f ? new QueueRetryState(n, f) : null;
    }

    public static int? ReadInt(JsonElement root, string name, int min, int max, List<ProblemError> errors)
    {
        if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt32(out var n) && n >= min && n <= max)
        {
            return n;
        }

        errors.Add(ProblemError.AtPointer("/" + name, $"'{name}' must be an integer from {min} to {max}."));
        return null;
    }
}

/// <summary>What a possibly malformed message says about itself (null where it says nothing usable).</summary>
public sealed record QueueMessageEnvelope(string? IngestionId, int? MessageIndex, int? MessageCount, int MetricCount)
{
    public static readonly QueueMessageEnvelope Unknown = new(null, null, null, 0);
}

public sealed record QueueMessageParseResult<T>(T? Message, string? IngestionId, IReadOnlyList<ProblemError> Errors)
    where T : class
{
    public bool IsValid => Message is not null;
}

/// <summary>The retry members of a rescheduled message: reschedules so far, and when the first transient failure was.</summary>
public sealed record QueueRetryState(int Attempt, DateTimeOffset FirstFailedAt);
