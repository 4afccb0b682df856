using Twine.Client.Errors;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Failures;

/// <summary>
/// Turns a permanent Twine rejection into what the Ingestions tables keep: Twine's errors (code, detail, pointer or
/// parameter, req_id) and a one-line reason with status and codes only (detail may quote what was sent).
/// </summary>
public static class TwineFailures
{
    /// <summary>
    /// Permanent: Twine answered and said no on the merits (4xx, including 401 InvalidCredentials after the client
    /// already asked the credentials provider again). Everything else the caller rethrows so the host retries.
    /// </summary>
    public static bool IsPermanent(TwineApiException e) => !e.IsTransient && e.Kind == TwineFailureKind.ErrorResponse;

    public static List<IngestionError> Errors(TwineApiException e)
    {
        if (e.Errors.Count == 0)
        {
            return [new IngestionError(e.StatusCode?.ToString(), null, null, e.RequestId)];
        }

        return [.. e.Errors.Take(Problems.MaxErrorsListed)
            .Select(x => new IngestionError(x.Code, x.Detail, x.Source?.Pointer ?? x.Source?.Parameter, e.RequestId))];
    }

    public static string Reason(TwineApiException e) =>
        $"Twine refused {e.Operation}: {(int?)e.StatusCode} {e.ErrorCode ?? "error"} (req_id {e.RequestId ?? "none"}); not retried.";

    public static int Status(TwineApiException e) => (int?)e.StatusCode ?? 0;
}
