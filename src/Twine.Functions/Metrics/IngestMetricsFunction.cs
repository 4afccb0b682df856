using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Partners;

namespace Twine.Functions.Metrics;

/// <summary>POST /api/metrics. Binds the request and hands over to <see cref="MetricsIngestionHandler"/>.</summary>
public sealed class IngestMetricsFunction(MetricsIngestionHandler handler)
{
    [Function("IngestMetrics")]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "metrics")] HttpRequest request,
        CancellationToken cancellationToken) =>
        handler.HandleAsync(WebhookRequest.From(request), cancellationToken);
}
