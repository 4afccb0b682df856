using System.Net.Http.Headers;

namespace Twine.Functions.Fhir;

/// <summary>
/// The media types the <c>/api/fhir</c> write routes take: <c>application/fhir+json</c> (optionally with
/// <c>fhirVersion=4.0</c>, FHIR R4's value of the parameter) and <c>application/json</c>, either optionally with a
/// UTF-8 <c>charset</c>. Anything else is answered 415 with an OperationOutcome.
/// </summary>
public static class FhirMediaTypes
{
    public const string FhirJson = "application/fhir+json";
    public const string Json = "application/json";
    public const string FhirVersion = "4.0";

    /// <summary>Null when <paramref name="contentType"/> is accepted, else the 415 to answer.</summary>
    public static FhirFailure? Check(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return OperationOutcomes.UnsupportedMediaType($"Content-Type is required: {FhirJson} (optionally with fhirVersion={FhirVersion}) or {Json}.");
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
        {
            return OperationOutcomes.UnsupportedMediaType($"Content-Type is not a media type; send {FhirJson} or {Json}.");
        }

        var fhir = string.Equals(parsed.MediaType, FhirJson, StringComparison.OrdinalIgnoreCase);
        if (!fhir && !string.Equals(parsed.MediaType, Json, StringComparison.OrdinalIgnoreCase))
        {
            return OperationOutcomes.UnsupportedMediaType($"Content-Type {parsed.MediaType} is not supported; send {FhirJson} (FHIR R4) or {Json}. XML is not supported.");
        }

        foreach (var parameter in parsed.Parameters)
        {
            var value = parameter.Value?.Trim('"');
            if (string.Equals(parameter.Name, "charset", StringComparison.OrdinalIgnoreCase))
            {
                if (!string.Equals(value, "utf-8", StringComparison.OrdinalIgnoreCase))
                {
                    return OperationOutcomes.UnsupportedMediaType("Only charset=utf-8 is supported.");
                }
            }
            else if (fhir && string.Equals(parameter.Name, "fhirVersion", StringComparison.OrdinalIgnoreCase))
            {
                if (value != FhirVersion)
                {
                    return OperationOutcomes.UnsupportedMediaType($"fhirVersion={value} is not supported: this server speaks FHIR R4 (fhirVersion={FhirVersion}).");
                }
            }
            else
            {
                return OperationOutcomes.UnsupportedMediaType($"The media type parameter '{parameter.Name}' is not supported.");
            }
        }

        return null;
    }
}
