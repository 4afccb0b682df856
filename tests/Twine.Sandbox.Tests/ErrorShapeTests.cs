using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Twine.Sandbox.Tests;

/// <summary>Bad input of every kind gets a 4xx in the spec's error shape, never a 500.</summary>
public sealed class ErrorShapeTests : SandboxHost
{
    public static TheoryData<string, string> WriteRoutes() => new()
    {
        { "POST", "patient" },
        { "POST", "patient_health_metric" },
        { "POST", "calendar_event" },
        { "POST", "group" },
        { "POST", "action" },
        { "POST", "bundle" },
        { "PATCH", $"patient/{PatientId}" },
        { "PATCH", $"calendar_event/{CalendarEventId}" },
        { "PATCH", "action/59653f699fc8be3938f04491" },
        { "PATCH", "bundle/596535d9608f63d531b7e34a" },
    };

    [Theory]
    [MemberData(nameof(WriteRoutes))]
    public async Task Malformed_json_on_any_write_route_is_409_in_the_error_shape(string method, string path)
    {
        (await Send(new HttpMethod(method), path, "{\"data\": {\"type\": ")).AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter");
    }

    [Theory]
    [MemberData(nameof(WriteRoutes))]
    public async Task A_wrong_resource_type_on_any_write_route_is_409_on_data_type(string method, string path)
    {
        (await Send(new HttpMethod(method), path, """{"data":{"type":"organization","id":"x","attributes":{}}}"""))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/type");
    }

    [Theory]
    [MemberData(nameof(WriteRoutes))]
    public async Task A_media_type_other_than_json_api_on_any_write_route_is_403_Forbidden(string method, string path)
    {
        var token = await NewTokenAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = new StringContent("""{"data":{}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Http.SendAsync(request, Ct);
        new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers)
            .AssertError(HttpStatusCode.Forbidden, "Forbidden");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("{}")]
    [InlineData("""{"data":null}""")]
    [InlineData("""{"data":[]}""")]
    [InlineData("""{"data":{"type":"patient","attributes":[1,2]}}""")]
    [InlineData("""{"data":{"type":"patient","attributes":{"first_name":{"nested":true}}}}""")]
    [InlineData("""{"data":{"type":"patient","attributes":{},"relationships":{"groups":{"data":"5755db2a3db4179179999acf"}}}}""")]
    [InlineData("""{"data":{"type":"patient","attributes":{},"relationships":[]}}""")]
    public async Task Odd_documents_are_a_4xx_in_the_error_shape_never_a_500(string body)
    {
        var reply = await Post("patient", body);
        Assert.InRange((int)reply.Status, 400, 499);
        Assert.NotNull(reply.Body["errors"]);
        Assert.NotNull(reply.Body["meta"]!["req_id"]);
    }

    [Fact]
    public async Task An_unknown_route_is_404_in_the_error_shape()
    {
        (await Get("no_such_resource")).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task An_empty_body_is_409_InvalidBodyParameter()
    {
        var token = await NewTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "patient") { Content = new StringContent("", Encoding.UTF8, MediaType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("InvalidBodyParameter", (string?)(await Read(response))["errors"]![0]!["code"]);
    }

    [Fact]
    public async Task Successful_answers_carry_the_json_api_media_type_and_a_new_req_id_each_time()
    {
        var reply = await Get($"patient/{PatientId}");
        reply.AssertOk();
        var second = await Get($"patient/{PatientId}");
        Assert.NotEqual((string?)reply.Body["meta"]!["req_id"], (string?)second.Body["meta"]!["req_id"]);
    }

    [Fact]
    public async Task A_group_is_created_with_201_and_an_empty_name_is_409()
    {
        var created = await Post("group", """{"data":{"type":"group","attributes":{"name":"New Group"}}}""");
        created.AssertOk(HttpStatusCode.Created);
        Assert.Equal("New Group", (string?)created.Data["attributes"]!["name"]);
        (await Post("group", """{"data":{"type":"group","attributes":{"name":""}}}"""))
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/name");
    }
}
