using System.Text.Json;
using Twine.Functions.Http;
using Twine.Functions.Ingestion;
using Twine.Functions.Ingestion.CalendarEvents;
using Twine.Functions.Ingestion.Metrics;

namespace Twine.Functions.Ingestion.Queues;

/// <summary>
/// Reads version-1 queue messages as strictly as the HTTP edge reads requests: a partner with queue access may
/// enqueue directly. A message that fails here is a permanent failure: record it, do not retry it.
/// </summary>
public static class QueueMessageParser
{
    public const int SupportedVersion = 1;

    private static readonly string[] MetricsMembers =
        ["version", "ingestionId", "messageIndex", "messageCount", "data", QueueRetryFields.Attempt, QueueRetryFields.FirstFailedAt];

    private static readonly string[] CalendarMembers =
        ["version", "ingestionId", "operation", "externalId", "data", CalendarWriteOrder.Member, QueueRetryFields.Attempt, QueueRetryFields.FirstFailedAt];

    /// <summary>How far in the future a <c>firstFailedAt</c> may be (instances' clocks differ a little).</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    /// <param name="now">The time <c>firstFailedAt</c> must not be after; null skips that one check (contract tests without a clock).</param>
    public static QueueMessageParseResult<MetricsQueueMessage> ParseMetrics(string text, DateTimeOffset? now = null)
    {
        var errors = new List<ProblemError>();
        if (!TryParse(text, errors, out var root))
        {
            // Still named after its ingestion when the envelope can be read, so that the failure is recorded against it.
            return new(null, PeekEnvelope(text).IngestionId, errors);
        }

        var ingestionId = ReadEnvelope(root, MetricsMembers, errors);
        var retry = ReadRetry(root, now, errors);
        var index = ReadInt(root, "messageIndex", 0, QueueMessageLimits.MaxMessagesPerIngestion - 1, errors);
        var count = ReadInt(root, "messageCount", 1, QueueMessageLimits.MaxMessagesPerIngestion, errors);
        if (index is { } i && count is { } c && i >= c)
        {
            errors.Add(ProblemError.AtPointer("/messageIndex", "'messageIndex' must be less than 'messageCount'."));
        }

        var metrics = new List<JsonElement>();
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            errors.Add(ProblemError.AtPointer("/data", "'data' must be an array of patient_health_metric resources."));
        }
        else
        {
            var n = data.GetArrayLength();
            if (n is 0 or > QueueMessageLimits.MaxMetricsPerMessage)
            {
                errors.Add(ProblemError.AtPointer("/data", $"'data' must hold 1 to {QueueMessageLimits.MaxMetricsPerMessage} metrics."));
            }

            var k = 0;
            foreach (var metric in data.EnumerateArray())
            {
                MetricResourceValidator.Validate(metric, $"/data/{k++}", errors);
                metrics.Add(metric);
            }
        }

        return errors.Count > 0
            ? new(null, ingestionId, errors)
            : new(new MetricsQueueMessage(ingestionId!, index!.Value, count!.Value, metrics) { Retry = retry, Root = root }, ingestionId, errors);
    }

    /// <param name="now">As for <see cref="ParseMetrics"/>.</param>
    public static QueueMessageParseResult<CalendarEventQueueMessage> ParseCalendarEvent(string text, DateTimeOffset? now = null)
    {
        var errors = new List<ProblemError>();
        if (!TryParse(text, errors, out var root))
        {
            // Still named after its ingestion when the envelope can be read, so that the failure is recorded against it.
            return new(null, PeekEnvelope(text).IngestionId, errors);
        }

        var ingestionId = ReadEnvelope(root, CalendarMembers, errors);
        var retry = ReadRetry(root, now, errors);
        var operation = JsonRules.GetString(root, "operation", "", errors, required: true);
        if (operation is not null and not (CalendarEventMessageWriter.Upsert or CalendarEventMessageWriter.Delete))
        {
            errors.Add(ProblemError.AtPointer("/operation", "'operation' must be 'upsert' or 'delete'."));
        }

        var externalId = JsonRules.GetString(root, "externalId", "", errors, required: true);
        if (externalId is not null && ExternalId.Problem(externalId) is { } problem)
        {
            errors.Add(ProblemError.AtPointer("/externalId", problem));
        }

        var order = ReadOrder(root, errors);
        var hasData = root.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.Null;
        if (operation == CalendarEventMessageWriter.Upsert)
        {
            if (hasData)
            {
                CalendarEventValidator.Validate(data, "/data", errors);
            }
            else
            {
                errors.Add(ProblemError.AtPointer("/data", "An upsert needs 'data': the calendar_event resource."));
            }
        }
        else if (operation == CalendarEventMessageWriter.Delete && hasData)
        {
            errors.Add(ProblemError.AtPointer("/data", "A delete carries no 'data'."));
        }

        return errors.Count > 0
            ? new(null, ingestionId, errors)
            : new(new CalendarEventQueueMessage(ingestionId!, operation!, externalId!, hasData ? data : null) { Retry = retry, Root = root, Order = order }, ingestionId, errors);
    }

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

    private static bool TryParse(string text, List<ProblemError> errors, out JsonElement root)
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
    private static string? ReadEnvelope(JsonElement root, string[] members, List<ProblemError> errors)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!members.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(ProblemError.AtPointer("/" + JsonRules.EscapePointer(property.Name), "Unknown member for this message version."));
            }
        }

        if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
            || !version.TryGetInt32(out var v) || v != SupportedVersion)
        {
            errors.Add(ProblemError.AtPointer("/version", $"'version' must be {SupportedVersion}."));
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
    /// <summary>The optional <c>order</c> member: <c>{"signedAt": Unix seconds, "receivedAt": timestamp}</c>; null when absent.</summary>
    private static CalendarWriteOrder? ReadOrder(JsonElement root, List<ProblemError> errors)
    {
        if (!root.TryGetProperty(CalendarWriteOrder.Member, out var order) || order.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        const string pointer = "/" + CalendarWriteOrder.Member;
        if (order.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer(pointer, "'order' must be an object with 'signedAt' and 'receivedAt'."));
            return null;
        }

        JsonRules.CheckMembers(order, pointer, ["signedAt", "receivedAt"], errors);
        long? signedAt = order.TryGetProperty("signedAt", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n)
            && n >= 0 && n <= CalendarWriteOrder.MaxSignedAt ? n : null;
        if (signedAt is null)
        {
            errors.Add(ProblemError.AtPointer(pointer + "/signedAt", $"'signedAt' must be an integer number of seconds from 0 to {CalendarWriteOrder.MaxSignedAt}."));
        }

        var receivedAt = JsonRules.GetTimestamp(order, "receivedAt", pointer, errors, required: true);
        return signedAt is { } at && receivedAt is { } received ? new CalendarWriteOrder(at, received) : null;
    }

    private static QueueRetryState? ReadRetry(JsonElement root, DateTimeOffset? now, List<ProblemError> errors)
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

    private static int? ReadInt(JsonElement root, string name, int min, int max, List<ProblemError> errors)
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

/// <param name="Metrics">The patient_health_metric resources as the partner sent them.</param>
public sealed record MetricsQueueMessage(string IngestionId, int MessageIndex, int MessageCount, IReadOnlyList<JsonElement> Metrics)
{
    /// <summary>Present when the message was rescheduled after a transient failure.</summary>
    public QueueRetryState? Retry { get; init; }

    /// <summary>The whole message as parsed: a reschedule copies it verbatim.</summary>
    public JsonElement Root { get; init; }
}

/// <param name="Data">The calendar_event resource for an upsert; null for a delete.</param>
public sealed record CalendarEventQueueMessage(string IngestionId, string Operation, string ExternalId, JsonElement? Data)
{
    /// <summary>The write's order for its externalId (absent in a message a partner enqueued without one: then it is applied unordered).</summary>
    public CalendarWriteOrder? Order { get; init; }

    /// <summary>Present when the message was rescheduled after a transient failure.</summary>
    public QueueRetryState? Retry { get; init; }

    /// <summary>The whole message as parsed: a reschedule copies it verbatim.</summary>
    public JsonElement Root { get; init; }
}

/// <summary>The retry members of a rescheduled message: reschedules so far, and when the first transient failure was.</summary>
public sealed record QueueRetryState(int Attempt, DateTimeOffset FirstFailedAt);
