using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Twine.Functions.Fhir;

/// <summary>The HTTP status codes the <c>/api/fhir</c> routes answer errors with, as FHIR servers use them.</summary>
public static class FhirStatusCodes
{
    /// <summary>The body is not FHIR JSON the parser accepts (syntax, unknown elements, wrong types), or names another resource.</summary>
    public const int Unparseable = 400;

    /// <summary>The signature is missing or wrong.</summary>
    public const int Signature = 401;

    /// <summary>The body or the Bundle is too large.</summary>
    public const int TooLarge = 413;

    /// <summary>The Content-Type is not one the routes take.</summary>
    public const int UnsupportedMediaType = 415;

    /// <summary>Valid FHIR that breaks a business rule (nothing mappable, an id-only notification, …).</summary>
    public const int BusinessRule = 422;
}

/// <summary>A refused request: its status code and the OperationOutcome that says why (serialise with <see cref="OperationOutcomes.ToJson"/>).</summary>
public sealed record FhirFailure(int StatusCode, OperationOutcome Outcome)
{
    public IEnumerable<OperationOutcome.IssueComponent> Issues => Outcome.Issue;
}

/// <summary>Building OperationOutcomes: severity, code, diagnostics and expression (FHIRPath to the offending element).</summary>
public static class OperationOutcomes
{
    /// <summary>The media type errors and resources are answered with.</summary>
    public const string ContentType = FhirMediaTypes.FhirJson + "; fhirVersion=4.0";

    private static readonly FhirJsonSerializer Serializer = new();

    public static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueType code, string diagnostics, string? expression = null,
        OperationOutcome.IssueSeverity severity = OperationOutcome.IssueSeverity.Error)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = diagnostics };
        if (!string.IsNullOrEmpty(expression))
        {
            issue.Expression = [expression];
        }

        return issue;
    }

    public static OperationOutcome Outcome(IEnumerable<OperationOutcome.IssueComponent> issues)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.AddRange(issues);
        return outcome;
    }

    public static FhirFailure Failure(int statusCode, OperationOutcome.IssueType code, string diagnostics, string? expression = null) =>
        new(statusCode, Outcome([Issue(code, diagnostics, expression)]));

    /// <summary>400: the body is not JSON, or not FHIR JSON at all (no position is quoted from the body).</summary>
    public static FhirFailure Unparseable(string diagnostics) => Failure(FhirStatusCodes.Unparseable, OperationOutcome.IssueType.Structure, diagnostics);

    /// <summary>401: the signature check failed (the HTTP layer's words, never the secret).</summary>
    public static FhirFailure Signature(string diagnostics) => Failure(FhirStatusCodes.Signature, OperationOutcome.IssueType.Security, diagnostics);

    /// <summary>413: the body or the Bundle is larger than the routes take.</summary>
    public static FhirFailure TooLarge(string diagnostics, string? expression = null) =>
        Failure(FhirStatusCodes.TooLarge, OperationOutcome.IssueType.TooCostly, diagnostics, expression);

    /// <summary>415: the media type is not one of <see cref="FhirMediaTypes"/>.</summary>
    public static FhirFailure UnsupportedMediaType(string diagnostics) => Failure(FhirStatusCodes.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported, diagnostics);

    /// <summary>422: a business rule (the issues name the elements).</summary>
    public static FhirFailure BusinessRule(IEnumerable<OperationOutcome.IssueComponent> issues) => new(FhirStatusCodes.BusinessRule, Outcome(issues));

    /// <summary>An informational outcome (e.g. what a Bundle's entries became), severity information.</summary>
    public static OperationOutcome.IssueComponent Information(string diagnostics, string? expression = null) =>
        Issue(OperationOutcome.IssueType.Informational, diagnostics, expression, OperationOutcome.IssueSeverity.Information);

    /// <summary>
    /// The parser's issues as OperationOutcome issues: its severity and issue type, its message (without the position
    /// the SDK appends), and the element's path as the expression (<c>$this</c> replaced by the resource type).
    /// </summary>
    public static OperationOutcome.IssueComponent FromParseIssue(CodedException exception, string? rootType)
    {
        if (exception is ExtendedCodedException extended)
        {
            return Issue(extended.IssueType, $"{extended.ErrorCode}: {extended.BaseErrorMessage}", Path(extended.InstancePath, rootType),
                extended.IssueSeverity == OperationOutcome.IssueSeverity.Fatal ? OperationOutcome.IssueSeverity.Fatal : OperationOutcome.IssueSeverity.Error);
        }

        return Issue(OperationOutcome.IssueType.Structure, $"{exception.ErrorCode}: the body is not valid FHIR JSON.");
    }

    private static string? Path(string? path, string? rootType)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        const string unnamed = "UnnamedResource_$this";
        if (path.StartsWith(unnamed, StringComparison.Ordinal))
        {
            return rootType is null ? null : rootType + path[unnamed.Length..];
        }

        if (path.StartsWith("$this", StringComparison.Ordinal))
        {
            return rootType is null ? null : rootType + path["$this".Length..];
        }

        return path;
    }

    /// <summary>The resource as <c>application/fhir+json</c> bytes.</summary>
    public static byte[] ToJson(Resource resource) => System.Text.Encoding.UTF8.GetBytes(Serializer.SerializeToString(resource));
}
