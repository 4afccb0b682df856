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

        if (FhirResourceTypeSpelling.Check(utf8.Span) is { } misspelt)
        {
            return new(null, misspelt);
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

/// <summary>
/// FHIR resource type names are case-sensitive, but the SDK finds its classes by name case-insensitively (it reads
/// <c>"observation"</c> as an Observation). Every <c>"resourceType"</c> member of the body (the root's, contained
/// resources', entries') must spell a known resource type exactly; one that matches only ignoring case is 400 here.
/// A byte search, not a second parse: <c>"resourceType"</c> with unescaped quotes occurs in JSON text only as a member
/// name or a whole string value, and the value of a member name is what follows its colon.
/// </summary>
internal static class FhirResourceTypeSpelling
{
    private static readonly HashSet<string> Known = new(ModelInfo.SupportedResources, StringComparer.Ordinal);
    private static readonly Dictionary<string, string> IgnoringCase = ModelInfo.SupportedResources
        .GroupBy(n => n, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

    public static FhirFailure? Check(ReadOnlySpan<byte> json)
    {
        var name = "\"resourceType\""u8;
        var offset = 0;
        while (true)
        {
            var at = json[offset..].IndexOf(name);
            if (at < 0)
            {
                return null;
            }

            offset += at + name.Length;
            var rest = json[offset..].TrimStart(" \t\r\n"u8);
            if (rest.IsEmpty || rest[0] != (byte)':')
            {
                continue; // a string value "resourceType", not a member name
            }

            rest = rest[1..].TrimStart(" \t\r\n"u8);
            if (rest.IsEmpty || rest[0] != (byte)'"')
            {
                continue; // not a string: the parser says so
            }

            var end = rest[1..].IndexOfAny((byte)'"', (byte)'\\');
            if (end < 0 || rest[1 + end] == (byte)'\\')
            {
                continue; // unterminated or escaped: the parser reads it
            }

            var value = System.Text.Encoding.UTF8.GetString(rest.Slice(1, end));
            if (!Known.Contains(value) && IgnoringCase.TryGetValue(value, out var spelt))
            {
                return OperationOutcomes.Failure(FhirStatusCodes.Unparseable, OperationOutcome.IssueType.Structure,
                    $"resourceType '{value}' is not a FHIR resource type: resource type names are case-sensitive (did you mean {spelt}?).");
            }
        }
    }
}
