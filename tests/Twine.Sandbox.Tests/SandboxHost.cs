using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Twine.Sandbox.Tests;

/// <summary>One in-process sandbox on a free loopback port (<see cref="SandboxFixture"/>), with a fake clock, per test class, and an HTTP client for it.</summary>
public class SandboxHost() : SandboxFixture(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero))
{
    public const string MediaType = "application/vnd.api+json";

    // Fixed seed ids (docs/SANDBOX.md).
    public const string OrganizationId = "58c4554710123c5c40dbab81";
    public const string SecondOrganizationId = "58c88de7c93eb96357a87033";
    public const string PatientsLeadGroupId = "5755db2a3db4179179999acf";
    public const string TeamHealthGroupId = "57b36e3c04ad8c2224f2af38";
    public const string SecondOrgPatientsLeadGroupId = "58c88de7c93eb96357a87040";
    public const string CoachId = "5a0c8e27a9d454cc150997c9";
    public const string SecondCoachId = "581630c3237d84a9403533c6";
    public const string PatientId = "5a0c8e27a9d454cc150997f7";
    public const string SecondPatientId = "5a1000000000000000000001";
    public const string SecondOrgPatientId = "5a1000000000000000000020";
    public const string CalendarEventId = "5a0c8e2aa9d454cc1509a142";

    public HttpClient Http { get; private set; } = null!;

    private string? _token;
    private DateTimeOffset _tokenIssuedAt;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override void Configure(SandboxOptions options) => options.TokenLifetime = TimeSpan.FromMinutes(30);

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Http = new HttpClient { BaseAddress = Server.BaseAddress };
    }

    public override async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>{"data":{"type":..,"id":..,"attributes":..}} for PATCH bodies.</summary>
    public static string Update(string type, string id, string attributesJson) => new JsonObject
    {
        ["data"] = new JsonObject { ["type"] = type, ["id"] = id, ["attributes"] = JsonNode.Parse(attributesJson) },
    }.ToJsonString();

    public static StringContent JsonApi(string json) => new(json, Encoding.UTF8, MediaType);

    public StringContent TokenBody(string? id = null, string? secret = null, string grant = "client_credentials") =>
        JsonApi(new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "token",
                ["attributes"] = new JsonObject
                {
                    ["grant_type"] = grant,
                    ["client_id"] = id ?? Server.ClientId,
                    ["client_secret"] = secret ?? Server.ClientSecret,
                },
            },
        }.ToJsonString());

    public async Task<string> NewTokenAsync(string? clientId = null, string? clientSecret = null)
    {
        using var response = await Http.PostAsync("oauth/token", TokenBody(clientId, clientSecret), Ct);
        var body = await Read(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)body["data"]!["attributes"]!["access_token"]!;
    }

    /// <summary>A fresh token of the second organization's credentials (docs/SANDBOX.md).</summary>
    public Task<string> SecondOrgTokenAsync() => NewTokenAsync(SandboxOptions.DefaultSecondClientId, SandboxOptions.DefaultSecondClientSecret);

    /// <summary>Sends with a bearer token (one per test class, fetched once).</summary>
    public async Task<Reply> Send(HttpMethod method, string path, string? jsonApiBody = null, string? token = null)
    {
        if (token is null)
        {
            // One cached token per class, renewed when a test has moved the fake clock past its lifetime.
            if (_token is null || Time.GetUtcNow() - _tokenIssuedAt >= TimeSpan.FromMinutes(25))
            {
                _token = await NewTokenAsync();
                _tokenIssuedAt = Time.GetUtcNow();
            }

            token = _token;
        }
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (jsonApiBody is not null)
        {
            request.Content = JsonApi(jsonApiBody);
        }

        using var response = await Http.SendAsync(request, Ct);
        return new Reply(response.StatusCode, await Read(response), response.Content.Headers.ContentType?.MediaType, response.Headers);
    }

    public Task<Reply> Get(string path) => Send(HttpMethod.Get, path);

    public Task<Reply> Post(string path, string body) => Send(HttpMethod.Post, path, body);

    public Task<Reply> Patch(string path, string body) => Send(HttpMethod.Patch, path, body);

    public static async Task<JsonNode> Read(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }
}

public sealed record Reply(HttpStatusCode Status, JsonNode Body, string? MediaType, HttpResponseHeaders Headers)
{
    public JsonNode Data => Body["data"]!;

    public JsonArray DataArray => Body["data"]!.AsArray();

    public List<string> Ids => DataArray.Select(d => (string)d!["id"]!).ToList();

    public JsonNode Error => Body["errors"]![0]!;

    /// <summary>Asserts the spec's error shape and returns the first error.</summary>
    public JsonNode AssertError(HttpStatusCode status, string code, string? pointer = null, string? parameter = null)
    {
        Assert.True(Status == status, $"expected {(int)status} {code}, got {(int)Status}: {Body.ToJsonString()}");
        Assert.Equal(SandboxHost.MediaType, MediaType);
        Assert.True(Guid.TryParse((string?)Body["meta"]?["req_id"], out _), "meta.req_id must be a guid");
        var error = Error;
        Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)error["status"]);
        Assert.Equal(code, (string?)error["code"]);
        Assert.False(string.IsNullOrEmpty((string?)error["detail"]));
        if (pointer is not null)
        {
            Assert.Equal(pointer, (string?)error["source"]?["pointer"]);
        }

        if (parameter is not null)
        {
            Assert.Equal(parameter, (string?)error["source"]?["parameter"]);
        }

        return error;
    }

    public Reply AssertOk(HttpStatusCode status = HttpStatusCode.OK)
    {
        Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Body.ToJsonString()}");
        Assert.Equal(SandboxHost.MediaType, MediaType);
        Assert.True(Guid.TryParse((string?)Body["meta"]?["req_id"], out _), "meta.req_id must be a guid");
        return this;
    }
}
