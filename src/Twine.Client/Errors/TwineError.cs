namespace Twine.Client.Errors;

/// <summary>One JSON:API error object as Twine returns it.</summary>
public sealed class TwineError
{
    public string? Status { get; set; }

    /// <summary>See <see cref="TwineErrorCodes"/>.</summary>
    public string? Code { get; set; }
    public string? Title { get; set; }

    /// <summary>Human-readable explanation; may echo request content, so it is never put into messages or logs.</summary>
    public string? Detail { get; set; }
    public TwineErrorSource? Source { get; set; }
}

public sealed class TwineErrorSource
{
    /// <summary>JSON pointer into the request body, e.g. <c>/data/attributes/title</c>.</summary>
    public string? Pointer { get; set; }

    /// <summary>The query parameter at fault, e.g. <c>filter[patient]</c>.</summary>
    public string? Parameter { get; set; }
}

/// <summary>The error document: <c>{"meta":{"req_id"},"errors":[...]}</c>.</summary>
public sealed class TwineErrorDocument
{
    public List<TwineError>? Errors { get; set; }
    public TwineErrorMeta? Meta { get; set; }
}

public sealed class TwineErrorMeta
{
    public string? ReqId { get; set; }
}

/// <summary>The error codes in Twine's specification, plus the client's own for failures with no Twine answer.</summary>
public static class TwineErrorCodes
{
    public const string Forbidden = "Forbidden";
    public const string InvalidParameter = "InvalidParameter";
    public const string InvalidBodyParameter = "InvalidBodyParameter";
    public const string ResourceNotFound = "ResourceNotFound";
    public const string Unauthorized = "Unauthorized";
    public const string InvalidCredentials = "InvalidCredentials";
    public const string InvalidGrantType = "InvalidGrantType";
}

/// <summary>Why a call failed when the failure is not an answer from Twine.</summary>
public enum TwineFailureKind
{
    /// <summary>Twine answered with an error status.</summary>
    ErrorResponse,

    /// <summary>A per-attempt or total timeout ran out.</summary>
    Timeout,

    /// <summary>The connection failed or was dropped.</summary>
    ConnectionFailure,

    /// <summary>The circuit breaker is open after repeated failures: calls are refused for a while.</summary>
    CircuitOpen,

    /// <summary>Twine answered with a body the client could not read.</summary>
    InvalidResponse,

    /// <summary>The client's own concurrency limit (<c>Twine:Resilience:RateLimiter</c>) refused the call; it was not sent.</summary>
    RateLimited,
}
