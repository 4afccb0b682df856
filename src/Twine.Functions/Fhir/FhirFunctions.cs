using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Partners;

namespace Twine.Functions.Fhir;

/// <summary>The FHIR R4 facade under /api/fhir (docs/FHIR.md). Bind and hand over to <see cref="FhirIngestionHandler"/>.</summary>
public sealed class FhirFunctions(FhirIngestionHandler handler, FhirMetadataHandler metadata)
{
    [Function("FhirMetadata")]
    public IResult Metadata([HttpTrigger(AuthorizationLevel.Function, "get", Route = "fhir/metadata")] HttpRequest request) =>
        metadata.Handle();

    [Function("FhirIngestObservation")]
    public Task<IResult> PostObservation(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "fhir/Observation")] HttpRequest request, CancellationToken cancellationToken) =>
        handler.HandleObservationAsync(WebhookRequest.From(request), cancellationToken);

    [Function("FhirIngestBundle")]
    public Task<IResult> PostBundle(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "fhir")] HttpRequest request, CancellationToken cancellationToken) =>
        handler.HandleBundleAsync(WebhookRequest.From(request), cancellationToken);

    [Function("FhirPutAppointment")]
    public Task<IResult> PutAppointment(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "fhir/Appointment/{id}")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        handler.HandleAppointmentPutAsync(WebhookRequest.From(request), id, cancellationToken);

    [Function("FhirDeleteAppointment")]
    public Task<IResult> DeleteAppointment(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "fhir/Appointment/{id}")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        handler.HandleAppointmentDeleteAsync(WebhookRequest.From(request), id, cancellationToken);
}
