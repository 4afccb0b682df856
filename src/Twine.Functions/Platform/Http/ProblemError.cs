namespace Twine.Functions.Platform.Http;

/// <summary>
/// One thing wrong with a request, listed in a problem's <c>errors</c> extension member
/// (<see cref="Microsoft.AspNetCore.Mvc.ProblemDetails.Extensions"/>, see <see cref="Problems.Document"/>). <see cref="Pointer"/> is an RFC 6901 JSON pointer into the body;
/// <see cref="Parameter"/> and <see cref="Header"/> name a route parameter or a request header instead.
/// Details never quote the caller's values: bodies are patient data.
/// </summary>
public sealed record ProblemError(string Detail, string? Pointer = null, string? Parameter = null, string? Header = null)
{
    public static ProblemError AtPointer(string pointer, string detail) => new(detail, Pointer: pointer);
}
