using Microsoft.AspNetCore.Http;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Fhir;

/// <summary>GET /api/fhir/metadata: the CapabilityStatement, what a FHIR client reads first (built once: it says what the code does).</summary>
public sealed class FhirMetadataHandler(TimeProvider time)
{
    private readonly Lazy<byte[]> _statement = new(() => OperationOutcomes.ToJson(FhirCapabilityStatement.Build(time.GetUtcNow())));

    public IResult Handle() => new BodyResult(StatusCodes.Status200OK, OperationOutcomes.ContentType, _statement.Value);
}
