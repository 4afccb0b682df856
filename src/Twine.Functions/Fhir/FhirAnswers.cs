using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using Twine.Functions.Ingestions;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Fhir;

/// <summary>
/// How the /api/fhir routes answer: OperationOutcome (<c>application/fhir+json</c>) for every error, including the
/// ones the shared machinery (signatures, idempotency, storage) states as problem details, and FHIR's asynchronous
/// pattern for an accepted write: 202 with <c>Content-Location</c> naming the ingestion's status URL.
/// </summary>
public static class FhirAnswers
{
    public static BodyResult Failure(FhirFailure failure, IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new(failure.StatusCode, OperationOutcomes.ContentType, OperationOutcomes.ToJson(failure.Outcome), headers);

    /// <summary>
    /// The shared machinery's answer in FHIR's words: a 202 becomes <see cref="Accepted"/>; a problem details answer keeps
    /// its status code and headers (Retry-After, WWW-Authenticate) and becomes an OperationOutcome whose diagnostics are
    /// the problem's detail (and each listed error as an issue with its pointer or header).
    /// </summary>
    public static IResult From(IResult result, IReadOnlyList<OperationOutcome.IssueComponent>? accepted = null)
    {
        if (result is not BodyResult body)
        {
            return result;
        }

        if (body.StatusCode == StatusCodes.Status202Accepted)
        {
            var id = JsonDocument.Parse(body.Body).RootElement.GetProperty("ingestionId").GetString()!;
            return Accepted(id, accepted ?? []);
        }

        var issues = new List<OperationOutcome.IssueComponent>();
        var detail = "The request was refused.";
        try
        {
            using var problem = JsonDocument.Parse(body.Body);
            var root = problem.RootElement;
            detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()!
                : root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : detail;
            issues.Add(OperationOutcomes.Issue(IssueType(body.StatusCode), detail));
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                foreach (var error in errors.EnumerateArray().Take(FhirLimits.MaxIssues))
                {
                    var where = Member(error, "pointer") ?? Member(error, "header") ?? Member(error, "parameter");
                    issues.Add(OperationOutcomes.Issue(IssueType(body.StatusCode), Member(error, "detail") ?? detail, where));
                }
            }
        }
        catch (JsonException)
        {
            issues.Add(OperationOutcomes.Issue(IssueType(body.StatusCode), detail));
        }

        var headers = body.Headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).ToList();
        return new BodyResult(body.StatusCode, OperationOutcomes.ContentType, OperationOutcomes.ToJson(OperationOutcomes.Outcome(issues)), headers);
    }

    /// <summary>202: queued. <c>Content-Location</c> is the ingestion's status; the body says what each entry became.</summary>
    public static BodyResult Accepted(string ingestionId, IReadOnlyList<OperationOutcome.IssueComponent> entries)
    {
        var statusUrl = IngestionAcceptor.StatusPathPrefix + ingestionId;
        var issues = new List<OperationOutcome.IssueComponent>
        {
            OperationOutcomes.Information($"Accepted as ingestion {ingestionId}; its status is at {statusUrl}."),
        };
        issues.AddRange(entries.Take(FhirLimits.MaxIssues));
        return new BodyResult(StatusCodes.Status202Accepted, OperationOutcomes.ContentType, OperationOutcomes.ToJson(OperationOutcomes.Outcome(issues)),
            [new("Content-Location", statusUrl), new("Location", statusUrl)]);
    }

    private static string? Member(JsonElement error, string name) =>
        error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static OperationOutcome.IssueType IssueType(int status) => status switch
    {
        401 => OperationOutcome.IssueType.Security,
        403 => OperationOutcome.IssueType.Forbidden,
        404 => OperationOutcome.IssueType.NotFound,
        409 => OperationOutcome.IssueType.Conflict,
        413 => OperationOutcome.IssueType.TooCostly,
        415 => OperationOutcome.IssueType.NotSupported,
        422 => OperationOutcome.IssueType.BusinessRule,
        429 or 503 => OperationOutcome.IssueType.Transient,
        >= 500 => OperationOutcome.IssueType.Exception,
        _ => OperationOutcome.IssueType.Invalid,
    };
}
