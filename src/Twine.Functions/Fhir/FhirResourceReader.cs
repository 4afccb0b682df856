using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Twine.Functions.Fhir;

/// <summary>A body read as one FHIR resource (<see cref="Resource"/>), or why not (<see cref="Failure"/>, 400).</summary>
public sealed record FhirParseResult(Resource? Resource, FhirFailure? Failure);

/// <summary>
/// Parses FHIR R4 JSON with Firely's deserializer, strictly: unknown elements, wrong types, invalid codes and
/// missing required elements are errors. Every error becomes an OperationOutcome issue with the element's path
/// (FHIRPath, e.g. <c>Bundle.entry[1].resource.code</c>). Never throws on input; never logs it.
/// </summary>
public static class FhirResourceReader
{
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());

    public static FhirParseResult Read(ReadOnlyMemory<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return new(null, OperationOutcomes.Unparseable("The body is empty: send one FHIR resource as JSON."));
        }

        var reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { MaxDepth = FhirLimits.MaxDepth });
        Resource? resource;
        IEnumerable<CodedException> issues;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new(null, OperationOutcomes.Unparseable("The body must be a JSON object: one FHIR resource with 'resourceType'."));
            }

            reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { MaxDepth = FhirLimits.MaxDepth });
            Deserializer.TryDeserializeResource(reader, out resource, out issues);
            issues = issues.ToList();
        }
        catch (JsonException e)
        {
            var depth = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase);
            return new(null, OperationOutcomes.Unparseable(depth
                ? $"The body nests more than {FhirLimits.MaxDepth} levels deep."
                : $"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine})."));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or OverflowException
                                      or InvalidCastException or NotSupportedException or DeserializationFailedException)
        {
            // The SDK throws these on shapes its reader cannot walk (e.g. an array where an object is required).
            return new(null, OperationOutcomes.Unparseable("The body is not FHIR JSON: a value has a shape FHIR does not allow."));
        }

        var rootType = resource is null || resource.TypeName.StartsWith("UnnamedResource", StringComparison.Ordinal) ? null : resource.TypeName;
        var errors = issues.Where(IsError).ToList();
        if (errors.Count > 0 || resource is null)
        {
            var outcome = OperationOutcomes.Outcome(errors.Take(FhirLimits.MaxIssues).Select(i => OperationOutcomes.FromParseIssue(i, rootType)));
            if (errors.Count > FhirLimits.MaxIssues)
            {
                outcome.Issue.Add(OperationOutcomes.Issue(OperationOutcome.IssueType.TooCostly, $"{errors.Count - FhirLimits.MaxIssues} more issues are not listed."));
            }

            if (outcome.Issue.Count == 0)
            {
                outcome.Issue.Add(OperationOutcomes.Issue(OperationOutcome.IssueType.Structure, "The body is not a FHIR resource."));
            }

            return new(null, new FhirFailure(FhirStatusCodes.Unparseable, outcome));
        }

        return new(resource, null);
    }

    private static bool IsError(CodedException issue) =>
        issue is not ExtendedCodedException extended
        || extended.IssueSeverity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal;
}
