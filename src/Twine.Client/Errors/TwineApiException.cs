using System.Net;
using System.Text;

namespace Twine.Client.Errors;

/// <summary>
/// The one exception the client throws for a failed Twine call. Carries the operation, HTTP status, every
/// JSON:API error and Twine's <c>req_id</c>; the message holds only those (never request or response bodies).
/// </summary>
public sealed class TwineApiException : Exception
{
    public TwineApiException(
        string operation,
        TwineFailureKind kind,
        HttpStatusCode? statusCode,
        IReadOnlyList<TwineError>? errors,
        string? requestId,
        Exception? innerException = null)
        : base(BuildMessage(operation, kind, statusCode, errors ?? [], requestId), innerException)
    {
        Operation = operation;
        Kind = kind;
        StatusCode = statusCode;
        Errors = errors ?? [];
        RequestId = requestId;
    }

    /// <summary>The operationId, e.g. <c>createCalendarEvent</c>.</summary>
    public string Operation { get; }

    public TwineFailureKind Kind { get; }

    /// <summary>Null when Twine did not answer (timeout, connection failure, open circuit, rate limited).</summary>
    public HttpStatusCode? StatusCode { get; }

    public IReadOnlyList<TwineError> Errors { get; }

    /// <summary>Twine's <c>meta.req_id</c>, when it answered.</summary>
    public string? RequestId { get; }

    /// <summary>The first error's code, e.g. <c>InvalidBodyParameter</c>.</summary>
    public string? ErrorCode => Errors.Count > 0 ? Errors[0].Code : null;

    /// <summary>
    /// True when trying again later may succeed: 408, 429, 5xx, timeouts, connection failures and an open circuit.
    /// False for everything Twine rejected on its merits (4xx).
    /// </summary>
    public bool IsTransient => Kind switch
    {
        TwineFailureKind.Timeout or TwineFailureKind.ConnectionFailure or TwineFailureKind.CircuitOpen or TwineFailureKind.RateLimited => true,
        TwineFailureKind.ErrorResponse => StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int?)StatusCode >= 500,
        _ => false,
    };

    public bool HasErrorCode(string code) => Errors.Any(e => string.Equals(e.Code, code, StringComparison.Ordinal));

    private static string BuildMessage(string operation, TwineFailureKind kind, HttpStatusCode? status, IReadOnlyList<TwineError> errors, string? requestId)
    {
        var message = new StringBuilder(operation).Append(" failed:");
        if (status is { } s)
        {
            message.Append(' ').Append((int)s);
        }

        if (kind != TwineFailureKind.ErrorResponse)
        {
            message.Append(' ').Append(kind switch
            {
                TwineFailureKind.Timeout => "timed out",
                TwineFailureKind.ConnectionFailure => "connection failure",
                TwineFailureKind.CircuitOpen => "circuit open",
                TwineFailureKind.InvalidResponse => "invalid response",
                TwineFailureKind.RateLimited => "rate limited",
                _ => kind.ToString(),
            });
        }

        // Codes and pointers only: detail and title may quote what was sent.
        for (var i = 0; i < errors.Count; i++)
        {
            var error = errors[i];
            message.Append(i == 0 ? " " : "; ").Append(error.Code ?? "Error");
            var where = error.Source?.Pointer ?? error.Source?.Parameter;
            if (!string.IsNullOrEmpty(where))
            {
                message.Append(" (").Append(where).Append(')');
            }
        }

        if (!string.IsNullOrEmpty(requestId))
        {
            message.Append(" req_id=").Append(requestId);
        }

        return message.ToString();
    }
}
