using Microsoft.Extensions.Logging;
using Twine.Client.Errors;

namespace Twine.Client.Http;

/// <summary>Log messages: operation, status, error codes, req_id and elapsed time only; never bodies or query strings.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Twine {Operation} answered {Status} in {ElapsedMs:0} ms req_id={ReqId}")]
    public static partial void Succeeded(ILogger logger, string operation, int status, double elapsedMs, string? reqId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Twine {Operation} failed with {Status} {ErrorCode} in {ElapsedMs:0} ms req_id={ReqId}")]
    public static partial void Failed(ILogger logger, string operation, int status, string? errorCode, double elapsedMs, string? reqId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Twine {Operation} got no answer ({Kind}, {ExceptionType}) after {ElapsedMs:0} ms")]
    public static partial void TransportFailed(ILogger logger, string operation, TwineFailureKind kind, double elapsedMs, string exceptionType);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Twine token issued, expires in {ExpiresInSeconds} s, renewed {SkewSeconds} s early")]
    public static partial void TokenIssued(ILogger logger, int expiresInSeconds, double skewSeconds);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Twine {Operation} answered 401 Unauthorized req_id={ReqId}: renewing the token and retrying once")]
    public static partial void TokenRejected(ILogger logger, string operation, string? reqId);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Twine rejected the client credentials req_id={ReqId}: reading fresh credentials and trying once more")]
    public static partial void CredentialsRejected(ILogger logger, string? reqId);
}
