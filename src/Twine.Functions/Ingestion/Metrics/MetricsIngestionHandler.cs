using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Http;
using Twine.Functions.Queues;
using Twine.Functions.Webhooks;

namespace Twine.Functions.Ingestion.Metrics;

/// <summary>
/// POST /api/metrics: the body Twine's createPatientHealthMetric takes (one patient_health_metric resource or an
/// array of them). Everything is validated before anything is stored; then the metrics are split into queue
/// messages and the ingestion is accepted. Before all of it, the partner's Standard Webhooks signature is verified
/// (headers first, then the body bytes as received): an unsigned request is answered 401 and nothing else is read.
/// Logs carry ids, counts and status codes only: bodies are patient data.
/// </summary>
public sealed partial class MetricsIngestionHandler(IngestionAcceptor acceptor, IngestionQueues queues, WebhookVerifier verifier, ILogger<MetricsIngestionHandler> logger)
{
    public const string Instance = "/api/metrics";
    private static readonly string[] TopLevelMembers = ["data", "meta", "jsonapi"];

    public async Task<IResult> HandleAsync(WebhookHeaders webhook, string? contentType, long? contentLength, string? idempotencyKey, Stream body, CancellationToken cancellationToken)
    {
        var signed = await verifier.ReadSignedAsync(webhook, body, contentLength, Instance, cancellationToken).ConfigureAwait(false);
        if (signed.Problem is { } notSigned)
        {
            return Refused(notSigned);
        }

        var bytes = signed.Body;

        if (RequestBody.MediaTypeProblem(contentType) is { } mediaProblem)
        {
            return Refused(Problems.UnsupportedMediaType(Instance, mediaProblem));
        }

        if (RequestBody.IdempotencyKeyProblem(idempotencyKey) is { } keyProblem)
        {
            return Refused(Problems.BadRequest(Instance, keyProblem, [new ProblemError(keyProblem, Header: "Idempotency-Key")]));
        }

        if (!JsonRules.TryParse(bytes, out var document, out var reason))
        {
            return Refused(Problems.MalformedJson(Instance, $"The body is not valid JSON ({reason})."));
        }

        using (document)
        {
            var errors = new List<ProblemError>();
            var (metrics, pointerPrefix) = ReadDocument(document.RootElement, errors);
            if (errors.Count > 0)
            {
                return Refused(Problems.Validation(Instance, errors));
            }

            var plan = MetricsMessageWriter.Plan(metrics, pointerPrefix, errors);
            if (errors.Count > 0)
            {
                return Refused(Problems.Validation(Instance, errors));
            }

            var hash = IngestionAcceptor.RequestHash("POST", "metrics", bytes);
            return await acceptor.AcceptAsync(Instance, new NewIngestion(IngestionKind.Metrics, metrics.Count, plan.MessageCount),
                WebhookIdempotency.Key(signed.Partner!, idempotencyKey, webhook.Id!), hash, (id, ct) => queues.SendAsync(queues.Metrics, plan.Messages(id), ct), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The document's metrics and the pointer prefix of each ("/data/" + index, or "/data" for a single resource).</summary>
    private static (List<JsonElement> Metrics, string PointerPrefix) ReadDocument(JsonElement root, List<ProblemError> errors)
    {
        var metrics = new List<JsonElement>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer("", "The body must be a JSON:API document (an object with 'data')."));
            return (metrics, "");
        }

        if (!JsonRules.CheckText(root, "", errors))
        {
            return (metrics, "");
        }

        foreach (var member in root.EnumerateObject())
        {
            if (!TopLevelMembers.Contains(member.Name, StringComparer.Ordinal))
            {
                errors.Add(ProblemError.AtPointer("/" + QueueMessageParser.EscapePointer(member.Name), "Unknown top-level member; allowed: data, meta, jsonapi."));
            }
        }

        if (JsonRules.TryGetObject(root, "meta", "", errors, out var meta, required: false))
        {
            JsonRules.GetBoolean(meta, "ignore_duplicates", "/meta", errors);
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind == JsonValueKind.Null)
        {
            errors.Add(ProblemError.AtPointer("/data", "'data' is required: a patient_health_metric resource or an array of them."));
            return (metrics, "");
        }

        if (data.ValueKind == JsonValueKind.Object)
        {
            MetricResourceValidator.Validate(data, "/data", errors);
            metrics.Add(data);
            return (metrics, "/data");
        }

        if (data.ValueKind != JsonValueKind.Array)
        {
            errors.Add(ProblemError.AtPointer("/data", "'data' must be a resource object or an array of them."));
            return (metrics, "");
        }

        var count = data.GetArrayLength();
        if (count == 0 || count > QueueMessageLimits.MaxMetricsPerIngestion)
        {
            errors.Add(ProblemError.AtPointer("/data", $"'data' must hold 1 to {QueueMessageLimits.MaxMetricsPerIngestion} metrics; it holds {count}."));
            return (metrics, "");
        }

        var index = 0;
        foreach (var metric in data.EnumerateArray())
        {
            MetricResourceValidator.Validate(metric, $"/data/{index++}", errors);
            metrics.Add(metric);
        }

        return (metrics, "/data/");
    }

    private BodyResult Refused(BodyResult problem)
    {
        LogRefused(problem.StatusCode);
        return problem;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics request refused: {StatusCode}")]
    private partial void LogRefused(int statusCode);
}
