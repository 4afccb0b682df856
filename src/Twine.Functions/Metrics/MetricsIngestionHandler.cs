using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Metrics;

/// <summary>
/// POST /api/metrics: the body Twine's createPatientHealthMetric takes (one patient_health_metric resource or an
/// array of them). The partner's Standard Webhooks signature is verified first (headers, then the body bytes as
/// received): an unsigned request is answered 401 and nothing else is read. Then the framing (media type, no content
/// coding, Idempotency-Key), then the document (<see cref="MetricsRequestReader"/>), all before anything is stored;
/// then the metrics are queued and the ingestion accepted. Logs carry ids, counts and status codes only: bodies are
/// patient data.
/// </summary>
public sealed partial class MetricsIngestionHandler(IngestionAcceptor acceptor, WebhookVerifier verifier, ILogger<MetricsIngestionHandler> logger)
{
    public const string Instance = "/api/metrics";

    public async Task<IResult> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        var signed = await verifier.ReadSignedAsync(request.Webhook, request.Body, request.ContentLength, Instance, cancellationToken).ConfigureAwait(false);
        if (signed.Problem is { } notSigned)
        {
            return Refused(notSigned, request, null);
        }

        if (WebhookFraming.Problem(request, Instance, signed.Body.Length) is { } framing)
        {
            return Refused(framing, request, signed.Partner);
        }

        var read = MetricsRequestReader.Read(signed.Body);
        if (read.MalformedReason is { } reason)
        {
            return Refused(Problems.MalformedJson(Instance, reason), request, signed.Partner);
        }

        if (read.Plan is not { } plan)
        {
            return Refused(Problems.Validation(Instance, read.Errors), request, signed.Partner);
        }

        var hash = IngestionAcceptor.RequestHash("POST", "metrics", signed.Body);
        return await acceptor.AcceptAsync(Instance, new NewIngestion(IngestionKind.Metrics, read.MetricCount, plan.MessageCount),
            new RequestKeys(signed.Partner!, request.Webhook.Id!, request.IdempotencyKey), hash,
            new OutgoingMessages(IngestionKind.Metrics, plan.Messages), cancellationToken).ConfigureAwait(false);
    }

    private BodyResult Refused(BodyResult problem, WebhookRequest request, string? partner) =>
        RefusalLog.Refused(logger, "POST /api/metrics", problem, request, partner);
}
