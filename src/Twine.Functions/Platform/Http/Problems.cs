using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Twine.Functions.Platform.Http;

/// <summary>The app's RFC 9457 problem responses. Each problem type is a stable URN callers can switch on.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";
    private const string TypePrefix = "urn:twine-functions:problem:";

    /// <summary>At most this many errors are listed; a body with thousands of bad fields gets a bounded answer.</summary>
    public const int MaxErrorsListed = 100;

    public static BodyResult MalformedJson(string instance, string detail) =>
        Create(400, "malformed-json", "The body is not valid JSON", detail, instance, [ProblemError.AtPointer("", detail)]);

    public static BodyResult BadRequest(string instance, string detail, IReadOnlyList<ProblemError> errors) =>
        Create(400, "bad-request", "The request is malformed", detail, instance, errors);

    public static BodyResult UnsupportedMediaType(string instance, string detail, string header = "Content-Type") =>
        Create(415, "unsupported-media-type", "Unsupported media type", detail, instance,
            [new ProblemError(detail, Header: header)]);

    public static BodyResult TooLarge(string instance, string detail, ProblemError? error = null) =>
        Create(413, "content-too-large", "The body is too large", detail, instance, [error ?? ProblemError.AtPointer("", detail)]);

    public static BodyResult Validation(string instance, IReadOnlyList<ProblemError> errors) =>
        Create(422, "validation", "The body does not satisfy the rules",
            errors.Count == 1 ? errors[0].Detail : $"{errors.Count} problems were found; see errors.", instance, errors);

    /// <summary>
    /// 422: the partner's webhook-id or Idempotency-Key (<paramref name="header"/>) was first used with another request
    /// (another body, method or target). Keys are scoped to the partner, so the first request's ingestion id is its own.
    /// </summary>
    public static BodyResult KeyReused(string instance, string ingestionId, string header) =>
        Create(422, header.Equals("webhook-id", StringComparison.OrdinalIgnoreCase) ? "webhook-id-reused" : "idempotency-key-reused",
            $"The {header} was used with another request",
            $"This {header} was first used with a different body, method or target; send a new request with a new {header}.",
            instance, [new ProblemError("Reused with a different request.", Header: header)], ingestionId);

    public static BodyResult InProgress(string instance, string ingestionId, string header, int retryAfterSeconds) =>
        Create(409, "in-progress", "The same request is still being accepted",
            $"An earlier request with the same {header} is being accepted right now; retry after the time in Retry-After.",
            instance, [new ProblemError("Still being accepted.", Header: header)], ingestionId, retryAfterSeconds);

    public static BodyResult NotFound(string instance, string detail, string parameter = "id") =>
        Create(404, "not-found", "Not found", detail, instance, [new ProblemError(detail, Parameter: parameter)]);

    public static BodyResult Unavailable(string instance, string detail, string? ingestionId = null) =>
        Create(503, "unavailable", "Storage is unavailable", detail, instance, null, ingestionId, retryAfterSeconds: 5);

    /// <summary>
    /// The framework's <see cref="ProblemDetails"/> with the app's extension members in <see cref="ProblemDetails.Extensions"/>
    /// (<c>errors</c>, at most <see cref="MaxErrorsListed"/>; <c>ingestionId</c>), serialized by the source-generated
    /// <see cref="HttpJsonContext"/> (members in RFC 9457 order, then the extensions; no null members).
    /// </summary>
    public static ProblemDetails Document(int status, string type, string title, string? detail, string? instance,
        IReadOnlyList<ProblemError>? errors, string? ingestionId = null)
    {
        var document = new ProblemDetails
        {
            Type = TypePrefix + type,
            Title = title,
            Status = status,
            Detail = detail,
            Instance = instance,
        };
        if (errors is not null)
        {
            document.Extensions["errors"] = errors.Take(MaxErrorsListed).ToArray();
        }

        if (ingestionId is not null)
        {
            document.Extensions["ingestionId"] = ingestionId;
        }

        return document;
    }

    public static BodyResult Create(int status, string type, string title, string? detail, string? instance,
        IReadOnlyList<ProblemError>? errors, string? ingestionId = null, int? retryAfterSeconds = null)
    {
        var document = Document(status, type, title, detail, instance, errors, ingestionId);
        var body = JsonSerializer.SerializeToUtf8Bytes(document, HttpJsonContext.Default.ProblemDetails);
        var headers = retryAfterSeconds is { } seconds
            ? new[] { new KeyValuePair<string, string>(HeaderNames.RetryAfter, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)) }
            : null;
        return new BodyResult(status, ContentType, body, headers);
    }
}
