using Microsoft.AspNetCore.Http;

namespace Twine.Functions.Platform.Http;

/// <summary>
/// An <see cref="IResult"/> holding an already serialized body, so that handlers decide the exact bytes,
/// content type and headers (and tests can read them back by executing the result into a DefaultHttpContext).
/// </summary>
public sealed class BodyResult(int statusCode, string? contentType, ReadOnlyMemory<byte> body, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public int StatusCode { get; } = statusCode;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;
    public string? ContentType { get; } = contentType;
    public ReadOnlyMemory<byte> Body { get; } = body;
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = headers ?? [];

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        if (ContentType is not null)
        {
            response.ContentType = ContentType;
        }

        response.ContentLength = Body.Length;
        if (!Body.IsEmpty)
        {
            await response.Body.WriteAsync(Body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
