using System.Text.Json;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.CalendarEvents;

/// <summary>Reads a version-1 calendar-event queue message (the envelope through <see cref="QueueMessageReader"/>, then the write).</summary>
public static class CalendarEventMessageParser
{
    private static readonly string[] CalendarMembers =
        ["version", "ingestionId", "operation", "externalId", "data", CalendarWriteOrder.Member, QueueRetryFields.Attempt, QueueRetryFields.FirstFailedAt];

    /// <param name="now">The time <c>firstFailedAt</c> must not be after; null skips that one check (contract tests without a clock).</param>
    public static QueueMessageParseResult<CalendarEventQueueMessage> Parse(string text, DateTimeOffset? now = null)
    {
        var errors = new List<ProblemError>();
        if (!QueueMessageReader.TryParse(text, errors, out var root))
        {
            // Still named after its ingestion when the envelope can be read, so that the failure is recorded against it.
            return new(null, QueueMessageReader.PeekEnvelope(text).IngestionId, errors);
        }

        var ingestionId = QueueMessageReader.ReadEnvelope(root, CalendarMembers, errors);
        var retry = QueueMessageReader.ReadRetry(root, now, errors);
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

