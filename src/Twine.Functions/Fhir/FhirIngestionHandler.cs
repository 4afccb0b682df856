using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twine.Client.Errors;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Fhir;

/// <summary>
/// The FHIR R4 facade's writes (docs/FHIR.md). Each takes the path of the JSON:API route it stands for, with FHIR's
/// words: the partner's Standard Webhooks signature over the body as received first (401), then the framing (415 media
/// type or content coding, the Idempotency-Key), then the FHIR resource is mapped (<see cref="FhirBundleReader"/>,
/// <see cref="FhirAppointmentMapper"/>) to the app's own request document, which the same reader as the JSON:API route
/// checks, and the same acceptor queues with the same keys (webhook-id, Idempotency-Key). Processing is unchanged.
/// Errors are OperationOutcomes; logs carry ids, counts and status codes only.
/// </summary>
public sealed partial class FhirIngestionHandler(
    IngestionAcceptor acceptor,
    WebhookVerifier verifier,
    IOptionsMonitor<FhirPartnerOptions> partners,
    FhirPartnerSettings configured,
    FhirPatientResolver patients,
    TimeProvider timeProvider,
    ILogger<FhirIngestionHandler> logger)
{
    public const string Base = "/api/fhir";

    /// <summary>POST /api/fhir/Observation: one Observation.</summary>
    public Task<IResult> HandleObservationAsync(WebhookRequest request, CancellationToken cancellationToken) =>
        HandleMetricsAsync(request, Base + "/Observation", FhirBundleReader.ReadObservation, cancellationToken);

    /// <summary>POST /api/fhir: a batch, transaction or collection Bundle, or a Subscription notification.</summary>
    public Task<IResult> HandleBundleAsync(WebhookRequest request, CancellationToken cancellationToken) =>
        HandleMetricsAsync(request, Base, FhirBundleReader.ReadBundle, cancellationToken);

    /// <summary>PUT /api/fhir/Appointment/{id}: create or update (or, with a cancelling status, delete) the calendar event.</summary>
    public async Task<IResult> HandleAppointmentPutAsync(WebhookRequest request, string? id, CancellationToken cancellationToken)
    {
        var instance = $"{Base}/Appointment/{id}";
        var (body, partner, refused) = await ReadAsync(request, instance, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var mapped = FhirAppointmentMapper.ReadPut(id ?? "", body, partner!);
        if (mapped.Failure is { } failure)
        {
            return Refused(FhirAnswers.Failure(failure));
        }

        switch (mapped.Action)
        {
            case FhirAppointmentUpsert upsert:
                string? owner;
                try
                {
                    owner = await patients.ResolveAsync(upsert.Owner, cancellationToken).ConfigureAwait(false);
                }
                catch (TwineApiException e)
                {
                    LogOwnerLookupFailed(e.StatusCode is { } s ? (int)s : 0, e.RequestId);
                    return Refused(FhirAnswers.Failure(
                        OperationOutcomes.Failure(StatusCodes.Status503ServiceUnavailable, OperationOutcome.IssueType.Transient,
                            "The Appointment's patient could not be looked up in Twine just now; send it again shortly."),
                        [new("Retry-After", "30")]));
                }

                if (owner is null)
                {
                    return Refused(FhirAnswers.Failure(OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule,
                        "No single Twine patient has the participant's identifier in the partner's organization.", "Appointment.participant.actor")])));
                }

                return await AcceptCalendarAsync(request, instance, partner!, upsert.ExternalId, CalendarEventMessageWriter.Upsert,
                    upsert.Body(owner), body, cancellationToken).ConfigureAwait(false);
            case FhirAppointmentDelete delete:
                return await AcceptCalendarAsync(request, instance, partner!, delete.ExternalId, CalendarEventMessageWriter.Delete,
                    delete.Body(), body, cancellationToken).ConfigureAwait(false);
            default:
                throw new InvalidOperationException("The mapper returned neither an action nor a failure.");
        }
    }

    /// <summary>
    /// DELETE /api/fhir/Appointment/{id}. FHIR's DELETE has no body, but the signature must bind which event goes: the
    /// signed body is the Appointment (at least <c>{"resourceType":"Appointment","id":"{id}"}</c>) and its id must be
    /// the route's, as the JSON:API DELETE names its event in a signed body (docs/FHIR.md).
    /// </summary>
    public async Task<IResult> HandleAppointmentDeleteAsync(WebhookRequest request, string? id, CancellationToken cancellationToken)
    {
        var instance = $"{Base}/Appointment/{id}";
        var (body, partner, refused) = await ReadAsync(request, instance, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var mapped = FhirAppointmentMapper.ReadDelete(id ?? "");
        if (mapped.Failure is { } badId)
        {
            return Refused(FhirAnswers.Failure(badId));
        }

        if (NamedAppointment(body) is { } notNamed)
        {
            return Refused(FhirAnswers.Failure(notNamed));
        }

        var delete = (FhirAppointmentDelete)mapped.Action!;
        return await AcceptCalendarAsync(request, instance, partner!, delete.ExternalId, CalendarEventMessageWriter.Delete, delete.Body(), body,
            cancellationToken).ConfigureAwait(false);

        // Only which resource it names is read (a whole Appointment is welcome, its other elements are not needed to delete).
        FhirFailure? NamedAppointment(byte[] signedBody)
        {
            try
            {
                using var document = JsonDocument.Parse(signedBody, new JsonDocumentOptions { MaxDepth = FhirLimits.MaxDepth });
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object
                    && root.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Appointment"
                    && root.TryGetProperty("id", out var named) && named.ValueKind == JsonValueKind.String && named.GetString() == id)
                {
                    return null;
                }

                return OperationOutcomes.BusinessRule([OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule,
                    "The signed body must name the Appointment being deleted: {\"resourceType\":\"Appointment\",\"id\":\"<the route's id>\"}.", "Appointment.id")]);
            }
            catch (InvalidOperationException)
            {
                // GetString on a string that is not valid UTF-8.
                return OperationOutcomes.Unparseable("The body is not valid UTF-8 JSON.");
            }
            catch (JsonException)
            {
                return OperationOutcomes.Unparseable(signedBody.Length == 0
                    ? "The body is empty: a DELETE signs the Appointment it deletes, {\"resourceType\":\"Appointment\",\"id\":\"<id>\"}."
                    : "The body is not valid JSON.");
            }
        }
    }

    private async Task<IResult> HandleMetricsAsync(WebhookRequest request, string instance, Func<ReadOnlyMemory<byte>, FhirPartner, FhirMetricsRequest> read,
        CancellationToken cancellationToken)
    {
        var (body, partner, refused) = await ReadAsync(request, instance, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var mapped = read(body, partner!);
        if (mapped.NothingDeliverable() is { } failure)
        {
            return Refused(FhirAnswers.Failure(failure));
        }

        var metrics = mapped.DeliveredMetrics();
        if (metrics.Count == 0)
        {
            // Every entry skipped (none refused): nothing for Twine, and that is not an error.
            LogNothingToDeliver(mapped.Entries.Count);
            return new BodyResult(StatusCodes.Status200OK, OperationOutcomes.ContentType,
                OperationOutcomes.ToJson(OperationOutcomes.Outcome(
                    [OperationOutcomes.Information("Nothing to deliver: every entry was skipped."), .. EntryIssues(mapped)])));
        }

        // The mapped metrics go through the JSON:API route's own reader: the same rules, limits and queue messages.
        var read2 = MetricsRequestReader.ReadMapped(metrics);
        if (read2.Plan is not { } plan)
        {
            var issues = read2.Errors.Select(e => OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule, e.Detail, e.Pointer)).Take(FhirLimits.MaxIssues);
            return Refused(FhirAnswers.Failure(OperationOutcomes.BusinessRule(issues)));
        }

        var entries = mapped.Entries.Select(e => new EntryReport(e.Entry, e.Outcome.ToString().ToLowerInvariant(), e.Expression, e.Reason)).ToList();
        var hash = IngestionAcceptor.RequestHash("POST", instance, body);
        var result = await acceptor.AcceptAsync(instance, new NewIngestion(IngestionKind.Metrics, read2.MetricCount, plan.MessageCount, Entries: entries),
            new RequestKeys(partner!.Name, request.Webhook.Id!, request.IdempotencyKey), hash,
            new OutgoingMessages(IngestionKind.Metrics, plan.Messages), cancellationToken).ConfigureAwait(false);
        LogMetrics(mapped.Kind, mapped.Delivered, mapped.Skipped, mapped.Refused);
        return FhirAnswers.From(result, [.. EntryIssues(mapped)]);
    }

    private async Task<IResult> AcceptCalendarAsync(WebhookRequest request, string instance, PartnerFhir partner, string externalId, string operation,
        System.Text.Json.Nodes.JsonObject document, byte[] signedBody, CancellationToken cancellationToken)
    {
        var order = new CalendarWriteOrder(long.Parse(request.Webhook.Timestamp!, CultureInfo.InvariantCulture), timeProvider.GetUtcNow());
        var bytes = JsonSerializer.SerializeToUtf8Bytes(document);
        var read = operation == CalendarEventMessageWriter.Upsert
            ? CalendarEventRequestReader.ReadPut(externalId, bytes, order)
            : CalendarEventRequestReader.ReadDelete(externalId, bytes, order);
        if (read.Accepted is not { } message)
        {
            var issues = read.Errors.Select(e => OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule, e.Detail, e.Pointer)).Take(FhirLimits.MaxIssues);
            return Refused(FhirAnswers.Failure(read.TooLarge
                ? OperationOutcomes.TooLarge("The Appointment is too large to queue as a calendar event.")
                : OperationOutcomes.BusinessRule(issues)));
        }

        var method = operation == CalendarEventMessageWriter.Upsert ? "PUT" : "DELETE";
        var hash = IngestionAcceptor.RequestHash(method, instance, signedBody);
        var result = await acceptor.AcceptAsync(instance, new NewIngestion(IngestionKind.CalendarEvent, 0, 1, externalId, operation),
            new RequestKeys(partner.Name, request.Webhook.Id!, request.IdempotencyKey), hash,
            new OutgoingMessages(IngestionKind.CalendarEvent, id => [message.Message(id)]), cancellationToken).ConfigureAwait(false);
        return FhirAnswers.From(result);
    }

    /// <summary>Signature, framing and the partner's FHIR settings; the signed body, or the answer refusing the request.</summary>
    private async Task<(byte[] Body, PartnerFhir? Partner, IResult? Refused)> ReadAsync(WebhookRequest request, string instance, CancellationToken cancellationToken)
    {
        var signed = await verifier.ReadSignedAsync(request.Webhook, request.Body, request.ContentLength, instance, cancellationToken).ConfigureAwait(false);
        if (signed.Problem is { } notSigned)
        {
            return ([], null, Refused(FhirAnswers.From(notSigned)));
        }

        if (RequestBody.ContentEncodingProblem(request.ContentEncoding) is { } coding)
        {
            return ([], null, Refused(FhirAnswers.Failure(OperationOutcomes.UnsupportedMediaType(coding))));
        }

        if (signed.Body.Length > 0 && FhirMediaTypes.Check(request.ContentType) is { } mediaType)
        {
            return ([], null, Refused(FhirAnswers.Failure(mediaType)));
        }

        if (RequestBody.IdempotencyKeyProblem(request.IdempotencyKey) is { } key)
        {
            return ([], null, Refused(FhirAnswers.Failure(OperationOutcomes.Failure(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid,
                key, WebhookRequest.IdempotencyKeyHeader))));
        }

        if (!configured.Has(signed.Partner!))
        {
            return ([], null, Refused(FhirAnswers.Failure(OperationOutcomes.Failure(StatusCodes.Status403Forbidden, OperationOutcome.IssueType.Forbidden,
                "This partner has no FHIR settings (Fhir__Partners__<partner>__Organization and its mappings): its FHIR requests cannot be mapped."))));
        }

        return (signed.Body, new PartnerFhir(signed.Partner!, new FhirPartner(partners.Get(signed.Partner!))), null);
    }

    private static IEnumerable<OperationOutcome.IssueComponent> EntryIssues(FhirMetricsRequest mapped) =>
        mapped.Entries.Where(e => e.Outcome != FhirEntryOutcome.Delivered).Select(e => e.Outcome == FhirEntryOutcome.Refused
            ? OperationOutcomes.Issue(OperationOutcome.IssueType.BusinessRule, e.Reason ?? "refused", e.Expression, OperationOutcome.IssueSeverity.Warning)
            : OperationOutcomes.Information(e.Reason ?? "skipped", e.Expression));

    private BodyResult Refused(BodyResult answer)
    {
        LogRefused(answer.StatusCode);
        return answer;
    }

    private IResult Refused(IResult answer)
    {
        LogRefused(answer is BodyResult b ? b.StatusCode : 0);
        return answer;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "FHIR request refused: {StatusCode}")]
    private partial void LogRefused(int statusCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "FHIR {Kind}: {Delivered} entries delivered, {Skipped} skipped, {Refused} refused")]
    private partial void LogMetrics(string kind, int delivered, int skipped, int refused);

    [LoggerMessage(Level = LogLevel.Information, Message = "FHIR request with {Entries} entries, every one skipped: nothing queued")]
    private partial void LogNothingToDeliver(int entries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FHIR Appointment: Twine patient lookup failed (status {StatusCode}, req_id {RequestId}): 503")]
    private partial void LogOwnerLookupFailed(int statusCode, string? requestId);

    /// <summary>The signed partner's name and its FHIR settings as the mappers read them.</summary>
    private sealed record PartnerFhir(string Name, FhirPartner Settings)
    {
        public static implicit operator FhirPartner(PartnerFhir partner) => partner.Settings;
    }
}
