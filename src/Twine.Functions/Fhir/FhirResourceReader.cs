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
/// <remarks>
/// Firely's per-element validator is most of the parse's cost (docs/PERFORMANCE.md), so a body is first parsed without
/// it and checked in one walk (<see cref="FhirModelChecks"/>). Only a body with an issue, or one the walk cannot vouch
/// for, is parsed again with the validator, and that parse alone answers: the issues are exactly the strict parse's.
/// </remarks>
public static class FhirResourceReader
{
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());
    private static readonly FhirJsonDeserializer Unvalidated = new(new DeserializerSettings { Validator = null });

    public static FhirParseResult Read(ReadOnlyMemory<byte> utf8)
    {
        return ReadUnvalidated(utf8) is { } resource ? new(resource, null) : ReadStrict(utf8);
    }

    /// <summary>
    /// A member named <c>_x</c> (a primitive's extensions) may come as an array beside a single-valued <c>x</c>: the SDK
    /// then drops the array from the resource, and only its validator reports what was wrong inside it, so no walk over
    /// the resource can see it. Any <c>"_</c> or escaped underscore in the body (in a string too) is left to the strict parse.
    /// </summary>
    private static bool MayHavePrimitiveExtensions(ReadOnlySpan<byte> json) =>
        json.IndexOf("\"_"u8) >= 0 || json.IndexOf("\\u005f"u8) >= 0 || json.IndexOf("\\u005F"u8) >= 0;

    /// <summary>
    /// The resource when the parse without the validator has no issue and <see cref="FhirModelChecks"/> finds none; else
    /// null, and only the strict parse (<see cref="ReadStrict"/>) may answer.
    /// </summary>
    public static Resource? ReadUnvalidated(ReadOnlyMemory<byte> utf8)
    {
        if (utf8.IsEmpty || MayHavePrimitiveExtensions(utf8.Span) || FhirResourceTypeSpelling.Check(utf8.Span) is not null)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { MaxDepth = FhirLimits.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { MaxDepth = FhirLimits.MaxDepth });
            return Unvalidated.TryDeserializeResource(reader, out var resource, out _) && resource is not null && FhirModelChecks.Passes(resource) ? resource : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or OverflowException
                                      or InvalidCastException or NotSupportedException or DeserializationFailedException)
        {
            return null;
        }
    }

    /// <summary>The parse with Firely's validator: the answer for every body the unvalidated parse and walk do not vouch for.</summary>
    public static FhirParseResult ReadStrict(ReadOnlyMemory<byte> utf8)
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
                                      or InvalidCastException or NotSupportedException or DeserializationFailedException
                                      or Hl7.Fhir.Validation.CodedValidationException)
        {
            // The SDK throws these on shapes its reader cannot walk (e.g. an array where an object is required; its
            // validator reading a "contained" that is not an array).
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
