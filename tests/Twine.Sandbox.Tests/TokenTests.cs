using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

public sealed class TokenTests : SandboxHost
{
    [Fact]
    public async Task A_json_api_token_request_gets_a_bearer_token_shaped_as_the_specs_CreateTokenResponse()
    {
        using var response = await Http.PostAsync("oauth/token", TokenBody(), Ct);
        var body = await Read(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(MediaType, response.Content.Headers.ContentType?.MediaType);
        var attributes = body["data"]!["attributes"]!;
        Assert.Equal("bearer", (string?)attributes["token_type"]);
        Assert.Equal(1800, (int)attributes["expires_in"]!);
        Assert.False(string.IsNullOrEmpty((string?)attributes["access_token"]));
        Assert.False(string.IsNullOrEmpty((string?)attributes["refresh_token"]));
        Assert.Equal(OrganizationId, (string?)body["data"]!["relationships"]!["organization"]!["data"]!["id"]);
        Assert.Contains(PatientsLeadGroupId, body["data"]!["relationships"]!["groups"]!["data"]!.AsArray().Select(g => (string?)g!["id"]));
        Assert.True(Guid.TryParse((string?)body["meta"]!["req_id"], out _));
    }

    [Fact]
    public async Task The_specs_token_example_with_type_oauth_token_is_accepted()
    {
        // CreateTokenRequest example (type "oauth/token"), with this sandbox's credentials.
        var json = $$"""
            {
              "data": {
                "type": "oauth/token",
                "attributes": {
                  "grant_type": "client_credentials",
                  "client_id": "{{Server.ClientId}}",
                  "client_secret": "{{Server.ClientSecret}}"
                }
              }
            }
            """;
        using var response = await Http.PostAsync("oauth/token", JsonApi(json), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_plain_json_token_request_with_top_level_fields_gets_a_working_token()
    {
        var json = $$"""{"grant_type":"client_credentials","client_id":"{{Server.ClientId}}","client_secret":"{{Server.ClientSecret}}"}""";
        using var response = await Http.PostAsync("oauth/token", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var body = await Read(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var token = (string)body["data"]!["attributes"]!["access_token"]!;

        var reply = await Get($"organization/{OrganizationId}", token);
        reply.AssertOk();
        Assert.Equal("organization", (string?)reply.Data["type"]);
    }

    private Task<Reply> Get(string path, string token) => Send(HttpMethod.Get, path, token: token);

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    public async Task A_token_request_in_another_media_type_is_403_Forbidden(string mediaType)
    {
        var json = $$"""{"grant_type":"client_credentials","client_id":"{{Server.ClientId}}","client_secret":"{{Server.ClientSecret}}"}""";
        using var response = await Http.PostAsync("oauth/token", new StringContent(json, Encoding.UTF8, mediaType), Ct);
        var reply = new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        reply.AssertError(HttpStatusCode.Forbidden, "Forbidden");
    }

    [Fact]
    public async Task A_wrong_secret_is_401_InvalidCredentials()
    {
        using var response = await Http.PostAsync("oauth/token", TokenBody(secret: "not-the-secret"), Ct);
        var reply = new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        reply.AssertError(HttpStatusCode.Unauthorized, "InvalidCredentials");
    }

    [Fact]
    public async Task A_wrong_client_id_is_401_InvalidCredentials()
    {
        using var response = await Http.PostAsync("oauth/token", TokenBody(id: "someone-else"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("InvalidCredentials", (string?)(await Read(response))["errors"]![0]!["code"]);
    }

    // CreateTokenRequest requires grant_type and client_id (client_secret "is required if grant_type is
    // client_credentials", refresh_token if it is refresh_token): a missing member is a body problem, 409
    // InvalidBodyParameter pointing at it, not a credentials failure.
    [Theory]
    [InlineData("client_id", "client_credentials")]
    [InlineData("client_secret", "client_credentials")]
    [InlineData("grant_type", null)]
    [InlineData("refresh_token", "refresh_token")]
    public async Task A_json_api_token_request_missing_a_required_member_is_409_pointing_at_it(string missing, string? grant)
    {
        var attributes = new JsonObject { ["grant_type"] = grant, ["client_id"] = Server.ClientId, ["client_secret"] = Server.ClientSecret };
        attributes.Remove(missing);
        var body = new JsonObject { ["data"] = new JsonObject { ["type"] = "token", ["attributes"] = attributes } };
        using var response = await Http.PostAsync("oauth/token", JsonApi(body.ToJsonString()), Ct);
        var reply = new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        reply.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/" + missing);
    }

    [Theory]
    [InlineData("client_id", "client_credentials")]
    [InlineData("client_secret", "client_credentials")]
    [InlineData("grant_type", null)]
    public async Task A_plain_json_token_request_missing_a_required_member_is_409_pointing_at_the_top_level_member(string missing, string? grant)
    {
        var fields = new JsonObject { ["grant_type"] = grant, ["client_id"] = Server.ClientId, ["client_secret"] = Server.ClientSecret };
        fields.Remove(missing);
        using var response = await Http.PostAsync("oauth/token", new StringContent(fields.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var reply = new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        reply.AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/" + missing);
    }

    [Fact]
    public async Task A_null_client_id_is_missing_and_an_empty_one_is_InvalidCredentials()
    {
        var attributes = new JsonObject { ["grant_type"] = "client_credentials", ["client_id"] = null, ["client_secret"] = Server.ClientSecret };
        var body = new JsonObject { ["data"] = new JsonObject { ["type"] = "token", ["attributes"] = attributes } };
        using var missing = await Http.PostAsync("oauth/token", JsonApi(body.ToJsonString()), Ct);
        new Reply(missing.StatusCode, await Read(missing), missing.Content.Headers.ContentType?.MediaType, missing.Headers)
            .AssertError(HttpStatusCode.Conflict, "InvalidBodyParameter", pointer: "/data/attributes/client_id");

        using var empty = await Http.PostAsync("oauth/token", TokenBody(id: ""), Ct);
        new Reply(empty.StatusCode, await Read(empty), empty.Content.Headers.ContentType?.MediaType, empty.Headers)
            .AssertError(HttpStatusCode.Unauthorized, "InvalidCredentials");
    }

    [Fact]
    public async Task An_unsupported_grant_type_in_plain_json_is_InvalidGrantType_at_the_top_level_member()
    {
        var json = $$"""{"grant_type":"password","client_id":"{{Server.ClientId}}","client_secret":"{{Server.ClientSecret}}"}""";
        using var response = await Http.PostAsync("oauth/token", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var reply = new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        reply.AssertError(HttpStatusCode.Conflict, "InvalidGrantType", pointer: "/grant_type");
    }

    [Fact]
    public async Task An_unsupported_grant_type_is_409_InvalidGrantType()
    {
        using var response = await Http.PostAsync("oauth/token", TokenBody(grant: "password"), Ct);
        var reply = new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        reply.AssertError(HttpStatusCode.Conflict, "InvalidGrantType", pointer: "/data/attributes/grant_type");
    }

    [Fact]
    public async Task A_refresh_token_grant_issues_a_new_token_and_retires_the_old_refresh_token()
    {
        using var first = await Http.PostAsync("oauth/token", TokenBody(), Ct);
        var refresh = (string)(await Read(first))["data"]!["attributes"]!["refresh_token"]!;
        var json = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "token",
                ["attributes"] = new JsonObject { ["grant_type"] = "refresh_token", ["client_id"] = Server.ClientId, ["refresh_token"] = refresh },
            },
        }.ToJsonString();

        using var second = await Http.PostAsync("oauth/token", JsonApi(json), Ct);
        var body = await Read(second);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.NotEqual(refresh, (string?)body["data"]!["attributes"]!["refresh_token"]);
        (await Get($"organization/{OrganizationId}", (string)body["data"]!["attributes"]!["access_token"]!)).AssertOk();

        using var replay = await Http.PostAsync("oauth/token", JsonApi(json), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal("InvalidCredentials", (string?)(await Read(replay))["errors"]![0]!["code"]);
    }

    [Fact]
    public async Task A_request_without_a_bearer_token_is_401_Unauthorized()
    {
        using var response = await Http.GetAsync($"patient/{PatientId}", Ct);
        var reply = new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
        reply.AssertError(HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task An_unknown_bearer_token_is_401_Unauthorized()
    {
        var reply = await Get($"patient/{PatientId}", "00000000-0000-0000-0000-000000000000");
        reply.AssertError(HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task A_token_sent_with_a_scheme_other_than_bearer_is_401()
    {
        var token = await NewTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"patient/{PatientId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
        using var response = await Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_expires_after_its_lifetime_on_the_injected_clock()
    {
        var token = await NewTokenAsync();
        Time.Advance(TimeSpan.FromMinutes(29));
        (await Get($"patient/{PatientId}", token)).AssertOk();

        Time.Advance(TimeSpan.FromMinutes(1));
        (await Get($"patient/{PatientId}", token)).AssertError(HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task A_tokens_groups_and_organization_are_included_and_served_and_an_unknown_tokens_groups_are_404()
    {
        using var response = await Http.PostAsync("oauth/token?include=groups,organization", TokenBody(), Ct);
        var body = await Read(response);
        var token = (string)body["data"]!["attributes"]!["access_token"]!;
        var id = (string)body["data"]!["id"]!;
        var includedTypes = body["included"]!.AsArray().Select(r => (string?)r!["type"]).ToList();
        Assert.Contains("group", includedTypes);
        Assert.Contains("organization", includedTypes);

        var groups = await Get($"oauth/token/{id}/groups", token);
        groups.AssertOk();
        Assert.Equal([PatientsLeadGroupId, TeamHealthGroupId], groups.Ids);
        Assert.Equal(2, (int)groups.Body["meta"]!["count"]!);

        var organization = await Get($"oauth/token/{id}/organization", token);
        organization.AssertOk();
        Assert.Equal(OrganizationId, (string?)organization.Data["id"]);

        (await Get("oauth/token/000000000000000000000000/groups", token)).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
    }
}
