using System.Text.Json;
using Twine.Functions.Json;

namespace Twine.Functions.Http;

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

    public static BodyResult UnsupportedMediaType(string instance, string detail) =>
        Create(415, "unsupported-media-type", "Unsupported media type", detail, instance,
            [new ProblemError(detail, Header: "Content-Type")]);

    public static BodyResult TooLarge(string instance, string detail, ProblemError? error = null) =>
        Create(413, "content-too-large", "The body is too large", detail, instance, [error ?? ProblemError.AtPointer("", detail)]);

    public static BodyResult Validation(string instance, IReadOnlyList<ProblemError> errors) =>
        Create(422, "validation", "The body does not satisfy the rules",
            errors.Count == 1 ? errors[0].Detail : $"{errors.Count} problems were found; see errors.", instance, errors);

    public static BodyResult IdempotencyKeyReused(string instance, string ingestionId) =>
        Create(422, "idempotency-key-reused", "The Idempotency-Key was used with another request",
            "This Idempotency-Key was first used with a different body or endpoint; use a new key for a new request.",
            instance, [new ProblemError("Reused with a different request.", Header: "Idempotency-Key")], ingestionId);

    public static BodyResult InProgress(string instance, string ingestionId, int retryAfterSeconds) =>
        Create(409, "in-progress", "A request with this Idempotency-Key is still being accepted",
            "Another request with the same Idempotency-Key is being accepted right now; retry after the time in Retry-After.",
            instance, [new ProblemError("Still being accepted.", Header: "Idempotency-Key")], ingestionId, retryAfterSeconds);

    public static BodyResult NotFound(string instance, string detail, string parameter = "id") =>
        Create(404, "not-found", "Not found", detail, instance, [new ProblemError(detail, Parameter: parameter)]);

    public static BodyResult Unavailable(string instance, string detail, string? ingestionId = null) =>
        Create(503, "unavailable", "Storage is unavailable", detail, instance, null, ingestionId, retryAfterSeconds: 5);

    public static BodyResult Create(int status, string type, string title, string? detail, string? instance,
        IReadOnlyList<ProblemError>? errors, string? ingestionId = null, int? retryAfterSeconds = null)
    {
        var document = new ProblemDocument
        {
            Type = TypePrefix + type,
            Title = title,
            Status = status,
            Detail = detail,
            Instance = instance,
            Errors = errors is { Count: > MaxErrorsListed } ? errors.Take(MaxErrorsListed).ToList() : errors,
            IngestionId = ingestionId,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(document, FunctionsJsonContext.Default.ProblemDocument);
        var headers = retryAfterSeconds is { } seconds
            ? new[] { new KeyValuePair<string, string>("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)) }
            : null;
        return new BodyResult(status, ContentType, body, headers);
    }
}
