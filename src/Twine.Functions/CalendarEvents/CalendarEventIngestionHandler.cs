using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// PUT and DELETE /api/calendar-events/{externalId}: the partner's Standard Webhooks signature is verified before
/// anything else; then the externalId, the framing and the body (<see cref="CalendarEventRequestReader"/>: the signed
/// body names the event and the method), then one upsert or delete message is queued and the ingestion accepted.
/// Whether a PUT creates or updates is decided when the message is processed, from the CalendarEventLinks row.
/// </summary>
public sealed partial class CalendarEventIngestionHandler(IngestionAcceptor acceptor, WebhookVerifier verifier,
    TimeProvider timeProvider, ILogger<CalendarEventIngestionHandler> logger)
{
    public const string InstancePrefix = "/api/calendar-events/";

    public Task<IResult> HandlePutAsync(WebhookRequest request, string? externalId, CancellationToken cancellationToken) =>
        HandleAsync(request, externalId, CalendarEventMessageWriter.Upsert, cancellationToken);

    public Task<IResult> HandleDeleteAsync(WebhookRequest request, string? externalId, CancellationToken cancellationToken) =>
        HandleAsync(request, externalId, CalendarEventMessageWriter.Delete, cancellationToken);

    private async Task<IResult> HandleAsync(WebhookRequest request, string? externalId, string operation, CancellationToken cancellationToken)
    {
        var instance = SignatureInstance(externalId);
        var signed = await verifier.ReadSignedAsync(request.Webhook, request.Body, request.ContentLength, instance, cancellationToken).ConfigureAwait(false);
        if (signed.Problem is { } notSigned)
        {
            return Refused(notSigned, request, null);
        }

        if (ExternalId.Problem(externalId) is { } idProblem)
        {
            return Refused(Problems.BadRequest("/api/calendar-events", idProblem, [new ProblemError(idProblem, Parameter: "externalId")]), request, signed.Partner);
        }

        if (WebhookFraming.Problem(request, instance, signed.Body.Length) is { } framing)
        {
            return Refused(framing, request, signed.Partner);
        }

        // Writes for one externalId apply in this order: the signed timestamp (verified above), then when it arrived.
        var order = new CalendarWriteOrder(long.Parse(request.Webhook.Timestamp!, System.Globalization.CultureInfo.InvariantCulture), timeProvider.GetUtcNow());
        var read = operation == CalendarEventMessageWriter.Upsert
            ? CalendarEventRequestReader.ReadPut(externalId!, signed.Body, order)
            : CalendarEventRequestReader.ReadDelete(externalId!, signed.Body, order);
        if (read.MalformedReason is { } reason)
        {
            return Refused(Problems.MalformedJson(instance, reason), request, signed.Partner);
        }

        if (read.TooLarge)
        {
            return Refused(Problems.TooLarge(instance, "The calendar event is too large to queue (at most 48 KiB of minified JSON).", read.Errors[0]), request, signed.Partner);
        }

        if (read.Accepted is not { } message)
        {
            return Refused(Problems.Validation(instance, read.Errors), request, signed.Partner);
        }

        var method = operation == CalendarEventMessageWriter.Upsert ? "PUT" : "DELETE";
        var hash = IngestionAcceptor.RequestHash(method, "calendar-events/" + externalId, signed.Body);
        return await acceptor.AcceptAsync(instance,
            new NewIngestion(IngestionKind.CalendarEvent, 0, 1, externalId, operation),
            new RequestKeys(signed.Partner!, request.Webhook.Id!, request.IdempotencyKey), hash,
            new OutgoingMessages(IngestionKind.CalendarEvent, id => [message.Message(id)]),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The instance of a signature problem: the event's URL when the externalId is well formed, else the collection's.</summary>
    private static string SignatureInstance(string? externalId) =>
        ExternalId.Problem(externalId) is null ? InstancePrefix + externalId : "/api/calendar-events";

    private BodyResult Refused(BodyResult problem, WebhookRequest request, string? partner) =>
        RefusalLog.Refused(logger, "PUT|DELETE /api/calendar-events", problem, request, partner);
}
