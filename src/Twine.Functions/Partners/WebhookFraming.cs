using Twine.Functions.Platform.Http;












namespace Twine.Functions.Partners;

/// <summary>
/// The checks every signed write makes on how its body is framed, after the signature and before the body is parsed:
/// a JSON media type (charset utf-8, quoted or not), no content coding (415: see <see cref="RequestBody.ContentEncodingProblem"/>),
/// and a well-formed Idempotency-Key when one is sent.
/// </summary>
public static class WebhookFraming
{
    /// <param name="bodyLength">An empty body has no media type to check: the body's reader says what it must be (400).</param>
    public static BodyResult? Problem(WebhookRequest request, string instance, int bodyLength)
    {
        if (RequestBody.ContentEncodingProblem(request.ContentEncoding) is { } encodingProblem)
        {
            return Problems.UnsupportedMediaType(instance, encodingProblem, "Content-Encoding");
        }

        if (bodyLength > 0 && RequestBody.MediaTypeProblem(request.ContentType) is { } mediaProblem)
        {
            return Problems.UnsupportedMediaType(instance, mediaProblem);
        }

        if (RequestBody.IdempotencyKeyProblem(request.IdempotencyKey) is { } keyProblem)
        {
            return Problems.BadRequest(instance, keyProblem, [new ProblemError(keyProblem, Header: WebhookRequest.IdempotencyKeyHeader)]);
        }

        return null;
    }
}
