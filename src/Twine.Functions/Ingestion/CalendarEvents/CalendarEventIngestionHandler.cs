using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Http;
using Twine.Functions.Queues;
using Twine.Functions.Webhooks;

namespace Twine.Functions.Ingestion.CalendarEvents;

/// <summary>
/// PUT and DELETE /api/calendar-events/{externalId}: checks the externalId and the spec's calendar rules, records an
/// ingestion and queues one upsert or delete message. Whether a PUT creates or updates is decided when the message
/// is processed, from the CalendarEventLinks row. The partner's Standard Webhooks signature is verified before anything
/// else (a DELETE signs an empty body).
/// </summary>
public sealed partial class CalendarEventIngestionHandler(IngestionAcceptor acceptor, IngestionQueues queues, WebhookVerifier verifier, ILogger<CalendarEventIngestionHandler> logger)
{
    public const string InstancePrefix = "/api/calendar-events/";

    public async Task<IResult> HandlePutAsync(WebhookHeaders webhook, string? externalId, string? contentType, long? contentLength, string? idempotencyKey,
        Stream body, CancellationToken cancellationToken)
    {
        var instance = SignatureInstance(externalId);
        var signed = await verifier.ReadSignedAsync(webhook, body, contentLength, instance, cancellationToken).ConfigureAwait(false);
        if (signed.Problem is { } notSigned)
        {
            return Refused(notSigned);
        }

        var bytes = signed.Body;

        if (CheckRequest(externalId, idempotencyKey) is { } refused)
        {
            return refused;
        }

        if (RequestBody.MediaTypeProblem(contentType) is { } mediaProblem)
        {
            return Refused(Problems.UnsupportedMediaType(instance, mediaProblem));
        }

        if (!JsonRules.TryParse(bytes, out var document, out var reason))
        {
            return Refused(Problems.MalformedJson(instance, $"The body is not valid JSON ({reason})."));
        }

        using (document)
        {
            var errors = new List<ProblemError>();
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data))
            {
                errors.Add(ProblemError.AtPointer("/data", "The body must be a JSON:API document whose 'data' is a calendar_event resource."));
                return Refused(Problems.Validation(instance, errors));
            }

            if (JsonRules.CheckText(data, "/data", errors))
            {
                CalendarEventValidator.Validate(data, "/data", errors);
            }

            if (errors.Count > 0)
            {
                return Refused(Problems.Validation(instance, errors));
            }

            // One message per event: it must fit the queue's 64 KiB (after base64) on its own.
            var probe = CalendarEventMessageWriter.Write(new string('0', IngestionId.Length), CalendarEventMessageWriter.Upsert, externalId!, data);
            if (probe.Length > QueueMessageLimits.MaxJsonBytes)
            {
                return Refused(Problems.TooLarge(instance, "The calendar event is too large to queue (at most 48 KiB of minified JSON).",
                    ProblemError.AtPointer("/data", "Too large to queue.")));
            }

            var hash = IngestionAcceptor.RequestHash("PUT", "calendar-events/" + externalId, bytes);
            var resource = data.Clone();
            return await acceptor.AcceptAsync(instance,
                new NewIngestion(IngestionKind.CalendarEvent, 0, 1, externalId, CalendarEventMessageWriter.Upsert), WebhookIdempotency.Key(signed.Partner!, idempotencyKey, webhook.Id!), hash,
                (id, ct) => queues.SendAsync(queues.CalendarEvents, [CalendarEventMessageWriter.Write(id, CalendarEventMessageWriter.Upsert, externalId!, resource)], ct),
                cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IResult> HandleDeleteAsync(WebhookHeaders webhook, string? externalId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var instance = SignatureInstance(externalId);
        var signed = await verifier.ReadSignedAsync(webhook, body: null, contentLength: null, instance, cancellationToken).ConfigureAwait(false);
        if (signed.Problem is { } notSigned)
        {
            return Refused(notSigned);
        }

        if (CheckRequest(externalId, idempotencyKey) is { } refused)
        {
            return refused;
        }

        var hash = IngestionAcceptor.RequestHash("DELETE", "calendar-events/" + externalId, signed.Body);
        return await acceptor.AcceptAsync(InstancePrefix + externalId,
            new NewIngestion(IngestionKind.CalendarEvent, 0, 1, externalId, CalendarEventMessageWriter.Delete),
            WebhookIdempotency.Key(signed.Partner!, idempotencyKey, webhook.Id!), hash,
            (id, ct) => queues.SendAsync(queues.CalendarEvents, [CalendarEventMessageWriter.Write(id, CalendarEventMessageWriter.Delete, externalId!, null)], ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The instance of a signature problem: the event's URL when the externalId is well formed, else the collection's.</summary>
    private static string SignatureInstance(string? externalId) =>
        ExternalId.Problem(externalId) is null ? InstancePrefix + externalId : "/api/calendar-events";

    private BodyResult? CheckRequest(string? externalId, string? idempotencyKey)
    {
        if (ExternalId.Problem(externalId) is { } idProblem)
        {
            return Refused(Problems.BadRequest("/api/calendar-events", idProblem, [new ProblemError(idProblem, Parameter: "externalId")]));
        }

        if (RequestBody.IdempotencyKeyProblem(idempotencyKey) is { } keyProblem)
        {
            return Refused(Problems.BadRequest(InstancePrefix + externalId, keyProblem, [new ProblemError(keyProblem, Header: "Idempotency-Key")]));
        }

        return null;
    }

    private BodyResult Refused(BodyResult problem)
    {
        LogRefused(problem.StatusCode);
        return problem;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Calendar event request refused: {StatusCode}")]
    private partial void LogRefused(int statusCode);
}
