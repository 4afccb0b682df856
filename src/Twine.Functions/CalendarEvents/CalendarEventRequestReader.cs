using System.Text.Json;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// Reads the body of PUT or DELETE /api/calendar-events/{externalId} into its one queue message, or the problems that
/// refuse it. Pure: nothing is stored. The signature covers only webhook-id, timestamp and body, so the body must name
/// what the request does to which event, or a captured request could be re-sent to another externalId or as the other
/// method: both bodies carry <c>meta.external_id</c>, which must equal the route's externalId; a PUT's body is a
/// calendar_event document (<c>data</c> required), a DELETE's body names the event only (<c>data</c> refused).
/// See docs/INGESTION-API.md, "What a signature binds".
/// </summary>
public static class CalendarEventRequestReader
{
    private static readonly string[] PutMembers = ["data", "meta", "jsonapi"];
    private static readonly string[] DeleteMembers = ["meta", "jsonapi"];
    private static readonly string[] MetaMembers = ["external_id", PartnerVersion.SequenceMember, PartnerVersion.UpdatedAtMetaMember];

    /// <summary>Room left in a message for the fields processing may add when it reschedules the message.</summary>
    public const int ReservedMessageBytes = 256;

    /// <param name="order">The write's order for its externalId (<see cref="CalendarWriteOrder"/>), carried in the message.</param>
    public static CalendarEventRequest ReadPut(string externalId, ReadOnlyMemory<byte> body, CalendarWriteOrder? order = null) =>
        Read(externalId, CalendarEventMessageWriter.Upsert, body, order);

    /// <inheritdoc cref="ReadPut"/>
    public static CalendarEventRequest ReadDelete(string externalId, ReadOnlyMemory<byte> body, CalendarWriteOrder? order = null) =>
        Read(externalId, CalendarEventMessageWriter.Delete, body, order);

    private static CalendarEventRequest Read(string externalId, string operation, ReadOnlyMemory<byte> body, CalendarWriteOrder? order)
    {
        var upsert = operation == CalendarEventMessageWriter.Upsert;
        if (body.IsEmpty)
        {
            return new(null, [], upsert
                ? "the body is empty; send a calendar_event document with meta.external_id"
                : "the body is empty; a DELETE sends {\"meta\":{\"external_id\":\"<the externalId in the URL>\"}}, signed, so that the signature names the event it deletes");
        }

        if (!JsonRules.TryParse(body, out var document, out var reason))
        {
            return new(null, [], $"The body is not valid JSON ({reason}).");
        }

        using (document)
        {
            var errors = new List<ProblemError>();
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(ProblemError.AtPointer("", "The body must be a JSON:API document (an object)."));
                return new(null, errors, null);
            }

            if (!JsonRules.CheckValues(root, errors))
            {
                return new(null, errors, null);
            }

            JsonRules.CheckMembers(root, "", upsert ? PutMembers : DeleteMembers, errors);
            JsonRules.TryGetObject(root, "jsonapi", "", errors, out _, required: false);
            if (JsonRules.TryGetObject(root, "meta", "", errors, out var meta))
            {
                JsonRules.CheckMembers(meta, "/meta", MetaMembers, errors);
                var named = JsonRules.GetString(meta, "external_id", "/meta", errors, required: true);
                if (named is not null && !string.Equals(named, externalId, StringComparison.Ordinal))
                {
                    errors.Add(ProblemError.AtPointer("/meta/external_id",
                        "'external_id' must equal the externalId in the URL: the signed body names the event the request is for."));
                }

                if (ReadPartnerVersion(meta, order, errors) is { } version && order is not null)
                {
                    order = order with { Version = version };
                }
            }

            JsonElement? data = null;
            if (upsert)
            {
                if (root.TryGetProperty("data", out var resource) && resource.ValueKind != JsonValueKind.Null)
                {
                    CalendarEventValidator.Validate(resource, "/data", errors);
                    data = resource;
                }
                else
                {
                    errors.Add(ProblemError.AtPointer("/data", "'data' is required: the calendar_event resource."));
                }
            }

            if (errors.Count > 0)
            {
                return new(null, errors, null);
            }

            // One message per event: it must fit the queue's 64 KiB (after base64) on its own, with room for retry fields.
            var probe = CalendarEventMessageWriter.Write(new string('0', IngestionId.Length), operation, externalId, data, order);
            if (probe.Length + ReservedMessageBytes > QueueMessageLimits.MaxJsonBytes)
            {
                return new(null, [ProblemError.AtPointer("/data", "Too large to queue.")], null, TooLarge: true);
            }

            return new(new CalendarEventMessage(operation, externalId, data?.Clone(), order), [], null);
        }
    }
    /// <summary>
    /// The partner's own version, optional: <c>meta.version</c>, an integer 0 to <see cref="PartnerVersion.MaxSequence"/>
    /// written as plain digits (no sign, fraction, exponent or leading zero: <c>1.0</c> and <c>1e2</c> are refused so that
    /// one version has one spelling), or <c>meta.updated_at</c>, a timestamp with an offset no later than the signed
    /// <c>webhook-timestamp</c> plus <see cref="PartnerVersion.FutureTolerance"/> (a version from the future would win over
    /// every later write). Not both.
    /// </summary>
    internal static PartnerVersion? ReadPartnerVersion(JsonElement meta, CalendarWriteOrder? order, List<ProblemError> errors)
    {
        var hasSequence = meta.TryGetProperty(PartnerVersion.SequenceMember, out var sequence);
        var hasUpdatedAt = meta.TryGetProperty(PartnerVersion.UpdatedAtMetaMember, out _);
        if (hasSequence && hasUpdatedAt)
        {
            errors.Add(ProblemError.AtPointer("/meta/" + PartnerVersion.UpdatedAtMetaMember,
                "Send one version: 'version' (an integer) or 'updated_at' (a timestamp), not both."));
            return null;
        }

        if (hasSequence)
        {
            if (sequence.ValueKind == JsonValueKind.Number && PartnerVersion.TryParseSequence(sequence.GetRawText(), out var number))
            {
                return PartnerVersion.FromSequence(number);
            }

            errors.Add(ProblemError.AtPointer("/meta/" + PartnerVersion.SequenceMember,
                $"'version' must be an integer from 0 to {PartnerVersion.MaxSequence}, written as digits only (no sign, fraction, exponent or leading zero)."));
            return null;
        }

        if (!hasUpdatedAt || JsonRules.GetTimestamp(meta, PartnerVersion.UpdatedAtMetaMember, "/meta", errors, required: true) is not { } updatedAt)
        {
            return null;
        }

        if (order is not null && updatedAt > DateTimeOffset.FromUnixTimeSeconds(order.SignedAt) + PartnerVersion.FutureTolerance)
        {
            errors.Add(ProblemError.AtPointer("/meta/" + PartnerVersion.UpdatedAtMetaMember,
                "'updated_at' must not be later than the request's webhook-timestamp (5 minutes of clock skew allowed)."));
            return null;
        }

        return PartnerVersion.FromUpdatedAt(updatedAt);
    }
}

/// <summary>
/// A calendar request read: what to queue (<see cref="Message"/> writes it for an ingestion id), or the problems (422;
/// 413 when <see cref="TooLarge"/>) or the syntax error (400).
/// </summary>
public sealed record CalendarEventRequest(CalendarEventMessage? Accepted, IReadOnlyList<ProblemError> Errors, string? MalformedReason, bool TooLarge = false);

/// <param name="Data">The calendar_event resource (cloned: it outlives the request's document); null for a delete.</param>
public sealed record CalendarEventMessage(string Operation, string ExternalId, JsonElement? Data, CalendarWriteOrder? Order = null)
{
    public byte[] Message(string ingestionId) => CalendarEventMessageWriter.Write(ingestionId, Operation, ExternalId, Data, Order);
}
