using System.Text;
using Microsoft.AspNetCore.Http;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Tests.Http;

/// <summary>
/// The exact bytes, content type and headers of one problem of each kind, so that the wire format callers switch on
/// (member names and order, type URNs, Retry-After, no null members) cannot drift when the document's type changes.
/// </summary>
public sealed class ProblemWireFormatTests
{
    private static async Task<(int Status, string? ContentType, IHeaderDictionary Headers, string Body)> ExecuteAsync(IResult result)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        return (context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task A_validation_problem_lists_each_error_with_its_pointer()
    {
        var response = await ExecuteAsync(Problems.Validation("/api/metrics",
        [
            ProblemError.AtPointer("/data/0/attributes/value", "value must be a number."),
            ProblemError.AtPointer("/data/1/attributes/unit", "unit is required."),
        ]));

        Assert.Equal(422, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.False(response.Headers.ContainsKey("Retry-After"));
        Assert.Equal(
            """{"type":"urn:twine-functions:problem:validation","title":"The body does not satisfy the rules","status":422,"detail":"2 problems were found; see errors.","instance":"/api/metrics","errors":[{"detail":"value must be a number.","pointer":"/data/0/attributes/value"},{"detail":"unit is required.","pointer":"/data/1/attributes/unit"}]}""",
            response.Body);
        Assert.Equal(response.Body.Length, (int)response.Headers.ContentLength!.Value);
    }

    [Fact]
    public async Task An_in_progress_conflict_carries_Retry_After_and_the_ingestion_id()
    {
        var response = await ExecuteAsync(Problems.InProgress("/api/metrics", "01JABCDEF", "Idempotency-Key", 3));

        Assert.Equal(409, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal("3", response.Headers["Retry-After"].ToString());
        Assert.Equal(
            """{"type":"urn:twine-functions:problem:in-progress","title":"The same request is still being accepted","status":409,"detail":"An earlier request with the same Idempotency-Key is being accepted right now; retry after the time in Retry-After.","instance":"/api/metrics","errors":[{"detail":"Still being accepted.","header":"Idempotency-Key"}],"ingestionId":"01JABCDEF"}""",
            response.Body);
    }

    [Fact]
    public async Task An_unsupported_media_type_names_the_header()
    {
        var response = await ExecuteAsync(Problems.UnsupportedMediaType("/api/metrics", "Send the body as application/vnd.api+json (or application/json)."));

        Assert.Equal(415, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(
            """{"type":"urn:twine-functions:problem:unsupported-media-type","title":"Unsupported media type","status":415,"detail":"Send the body as application/vnd.api\u002Bjson (or application/json).","instance":"/api/metrics","errors":[{"detail":"Send the body as application/vnd.api\u002Bjson (or application/json).","header":"Content-Type"}]}""",
            response.Body);
    }

    [Fact]
    public async Task Unavailable_has_Retry_After_and_no_errors_member()
    {
        var response = await ExecuteAsync(Problems.Unavailable("/api/ingestions/x", "Try again shortly."));

        Assert.Equal(503, response.Status);
        Assert.Equal("5", response.Headers["Retry-After"].ToString());
        Assert.Equal(
            """{"type":"urn:twine-functions:problem:unavailable","title":"Storage is unavailable","status":503,"detail":"Try again shortly.","instance":"/api/ingestions/x"}""",
            response.Body);
    }

    [Fact]
    public async Task At_most_a_hundred_errors_are_listed()
    {
        var errors = Enumerable.Range(0, 150).Select(i => ProblemError.AtPointer($"/data/{i}", "bad.")).ToList();

        var response = await ExecuteAsync(Problems.Validation("/api/metrics", errors));

        var json = System.Text.Json.Nodes.JsonNode.Parse(response.Body)!;
        Assert.Equal("150 problems were found; see errors.", json["detail"]!.GetValue<string>());
        Assert.Equal(Problems.MaxErrorsListed, json["errors"]!.AsArray().Count);
        Assert.Equal("/data/99", json["errors"]![99]!["pointer"]!.GetValue<string>());
    }
}
