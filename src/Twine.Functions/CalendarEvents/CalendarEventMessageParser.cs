using System.Text.Json;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// Reads a calendar-event queue message, version 1 or 2 (the envelope through <see cref="QueueMessageReader"/>, then the
/// write). Version 2 is version 1 whose <c>order</c> also carries the partner's version (<c>version</c> or <c>updatedAt</c>).
/// </summary>
public static class CalendarEventMessageParser
{
    /// <summary>The newest calendar message version this reader accepts.</summary>
    public const int LatestVersion = 2;

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

        var ingestionId = QueueMessageReader.ReadEnvelope(root, CalendarMembers, errors, LatestVersion, out var version);
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

        var order = ReadOrder(root, version, errors);
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
    /// The <c>order</c> member: <c>{"signedAt": Unix seconds, "receivedAt": timestamp}</c>, optional in version 1 (null
    /// when absent); version 2 requires it with exactly one of <c>version</c> (integer) and <c>updatedAt</c> (timestamp).
    /// </summary>
    private static CalendarWriteOrder? ReadOrder(JsonElement root, int version, List<ProblemError> errors)
    {
        const string pointer = "/" + CalendarWriteOrder.Member;
        if (!root.TryGetProperty(CalendarWriteOrder.Member, out var order) || order.ValueKind == JsonValueKind.Null)
        {
            if (version == 2)
            {
                errors.Add(ProblemError.AtPointer(pointer, "A version-2 message carries 'order' with the partner's version."));
            }

            return null;
        }

        if (order.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer(pointer, "'order' must be an object with 'signedAt' and 'receivedAt'."));
            return null;
        }

        JsonRules.CheckMembers(order, pointer, version == 2
            ? ["signedAt", "receivedAt", PartnerVersion.SequenceMember, PartnerVersion.UpdatedAtMessageMember]
            : ["signedAt", "receivedAt"], errors);
        long? signedAt = order.TryGetProperty("signedAt", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n)
            && n >= 0 && n <= CalendarWriteOrder.MaxSignedAt ? n : null;
        if (signedAt is null)
        {
            errors.Add(ProblemError.AtPointer(pointer + "/signedAt", $"'signedAt' must be an integer number of seconds from 0 to {CalendarWriteOrder.MaxSignedAt}."));
        }

        var receivedAt = JsonRules.GetTimestamp(order, "receivedAt", pointer, errors, required: true);
        var partnerVersion = version == 2 ? ReadPartnerVersion(order, pointer, errors) : null;
        return signedAt is { } at && receivedAt is { } received && (version != 2 || partnerVersion is not null)
            ? new CalendarWriteOrder(at, received, partnerVersion)
            : null;
    }

    private static PartnerVersion? ReadPartnerVersion(JsonElement order, string pointer, List<ProblemError> errors)
    {
        var hasSequence = order.TryGetProperty(PartnerVersion.SequenceMember, out var sequence);
        var hasUpdatedAt = order.TryGetProperty(PartnerVersion.UpdatedAtMessageMember, out _);
        if (hasSequence == hasUpdatedAt)
        {
            errors.Add(ProblemError.AtPointer(pointer, "A version-2 'order' has exactly one of 'version' and 'updatedAt'."));
            return null;
        }

        if (hasSequence)
        {
            if (sequence.ValueKind == JsonValueKind.Number && PartnerVersion.TryParseSequence(sequence.GetRawText(), out var number))
            {
                return PartnerVersion.FromSequence(number);
            }

            errors.Add(ProblemError.AtPointer($"{pointer}/{PartnerVersion.SequenceMember}",
                $"'version' must be an integer from 0 to {PartnerVersion.MaxSequence}, written without sign, fraction, exponent or leading zeros."));
            return null;
        }

        return JsonRules.GetTimestamp(order, PartnerVersion.UpdatedAtMessageMember, pointer, errors, required: true) is { } at
            ? PartnerVersion.FromUpdatedAt(at)
            : null;
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

