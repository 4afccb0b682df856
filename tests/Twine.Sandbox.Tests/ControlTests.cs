using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

/// <summary>Reset, RotateCredentials, ExpireAllTokens, request counting, and the same over /_sandbox.</summary>
public sealed class ControlTests : SandboxHost
{
    [Fact]
    public void The_base_address_is_loopback_pub_with_a_trailing_slash_and_the_default_credentials_are_set()
    {
        Assert.Equal("127.0.0.1", Server.BaseAddress.Host);
        Assert.NotEqual(0, Server.BaseAddress.Port);
        Assert.Equal("/pub/", Server.BaseAddress.AbsolutePath);
        Assert.Equal(SandboxOptions.DefaultClientId, Server.ClientId);
        Assert.Equal(SandboxOptions.DefaultClientSecret, Server.ClientSecret);
    }

    [Fact]
    public async Task Requests_are_counted_per_method_and_route_template()
    {
        var token = await NewTokenAsync();
        Assert.Equal(1, Server.RequestCount("POST", "/oauth/token"));
        await Send(HttpMethod.Get, $"patient/{PatientId}", token: token);
        await Send(HttpMethod.Get, $"patient/{SecondPatientId}", token: token);
        await Send(HttpMethod.Get, "patient/000000000000000000000000", token: token);

        Assert.Equal(3, Server.RequestCount("GET", "/patient/{id}"));
        Assert.Equal(3, Server.RequestCount("get", "/pub/patient/{id}/"));
        Assert.Equal(0, Server.RequestCount("PATCH", "/patient/{id}"));
        Assert.Equal(3, Server.RequestCounts()["GET /patient/{id}"]);
    }

    [Fact]
    public async Task A_reset_restores_the_seed_and_credentials_revokes_tokens_and_clears_counters_and_faults()
    {
        var token = await NewTokenAsync();
        var created = await Send(HttpMethod.Post, "group", """{"data":{"type":"group","attributes":{"name":"Temporary"}}}""", token);
        created.AssertOk(HttpStatusCode.Created);
        var groupId = (string)created.Data["id"]!;
        Server.Faults.Add("GET", "/group/{id}", FaultKind.InternalServerError, count: 5);
        Server.RotateCredentials("rotated-id", "rotated-secret");

        Server.Reset();

        Assert.Equal(0, Server.RequestCount("POST", "/group"));
        Assert.Equal(SandboxOptions.DefaultClientId, Server.ClientId);
        (await Send(HttpMethod.Get, $"group/{groupId}", token: token)).AssertError(HttpStatusCode.Unauthorized, "Unauthorized");
        var fresh = await NewTokenAsync();
        (await Send(HttpMethod.Get, $"group/{groupId}", token: fresh)).AssertError(HttpStatusCode.NotFound, "ResourceNotFound");
        (await Send(HttpMethod.Get, $"group/{PatientsLeadGroupId}", token: fresh)).AssertOk();
    }

    [Fact]
    public async Task After_rotating_credentials_the_old_secret_is_InvalidCredentials_and_the_new_one_gets_a_token()
    {
        Server.RotateCredentials("new-id", "new-secret");

        using var old = await Http.PostAsync("oauth/token", TokenBody(SandboxOptions.DefaultClientId, SandboxOptions.DefaultClientSecret), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Equal("InvalidCredentials", (string?)(await Read(old))["errors"]![0]!["code"]);

        using var fresh = await Http.PostAsync("oauth/token", TokenBody("new-id", "new-secret"), Ct);
        Assert.Equal(HttpStatusCode.Created, fresh.StatusCode);
        Assert.Equal("new-id", Server.ClientId);
        Assert.Equal("new-secret", Server.ClientSecret);
        Server.Reset();
    }

    [Fact]
    public async Task Expiring_all_tokens_makes_every_issued_token_401_and_a_new_one_works()
    {
        var a = await NewTokenAsync();
        var b = await NewTokenAsync();
        Server.ExpireAllTokens();

        (await Send(HttpMethod.Get, $"patient/{PatientId}", token: a)).AssertError(HttpStatusCode.Unauthorized, "Unauthorized");
        (await Send(HttpMethod.Get, $"patient/{PatientId}", token: b)).AssertError(HttpStatusCode.Unauthorized, "Unauthorized");
        (await Send(HttpMethod.Get, $"patient/{PatientId}", token: await NewTokenAsync())).AssertOk();
    }

    [Fact]
    public async Task The_http_controls_count_add_and_clear_faults_expire_tokens_rotate_credentials_and_reset()
    {
        var root = Server.RootAddress;
        var token = await NewTokenAsync();
        await Send(HttpMethod.Get, $"patient/{PatientId}", token: token);

        using var counts = await Http.GetAsync(new Uri(root, "_sandbox/requests"), Ct);
        var countsBody = await Read(counts);
        Assert.Equal(1, (int)countsBody["GET /patient/{id}"]!);
        Assert.Equal(1, (int)countsBody["POST /oauth/token"]!);

        var fault = """{"method":"GET","route":"/patient/{id}","kind":"ServiceUnavailable","count":1,"retryAfterSeconds":0,"delayMs":0}""";
        using (var added = await Http.PostAsync(new Uri(root, "_sandbox/faults"), new StringContent(fault, Encoding.UTF8, "application/json"), Ct))
        {
            Assert.True(added.IsSuccessStatusCode);
        }

        (await Send(HttpMethod.Get, $"patient/{PatientId}", token: token)).AssertError(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");

        using (var added = await Http.PostAsync(new Uri(root, "_sandbox/faults"), new StringContent(fault, Encoding.UTF8, "application/json"), Ct))
        {
            Assert.True(added.IsSuccessStatusCode);
        }

        using (var cleared = await Http.DeleteAsync(new Uri(root, "_sandbox/faults"), Ct))
        {
            Assert.True(cleared.IsSuccessStatusCode);
        }

        (await Send(HttpMethod.Get, $"patient/{PatientId}", token: token)).AssertOk();

        using (var expired = await Http.PostAsync(new Uri(root, "_sandbox/tokens/expire"), null, Ct))
        {
            Assert.True(expired.IsSuccessStatusCode);
        }

        (await Send(HttpMethod.Get, $"patient/{PatientId}", token: token)).AssertError(HttpStatusCode.Unauthorized, "Unauthorized");

        var credentials = """{"clientId":"http-id","clientSecret":"http-secret"}""";
        using (var rotated = await Http.PostAsync(new Uri(root, "_sandbox/credentials"), new StringContent(credentials, Encoding.UTF8, "application/json"), Ct))
        {
            Assert.True(rotated.IsSuccessStatusCode);
        }

        Assert.Equal("http-id", Server.ClientId);

        using (var reset = await Http.PostAsync(new Uri(root, "_sandbox/reset"), null, Ct))
        {
            Assert.True(reset.IsSuccessStatusCode);
        }

        Assert.Equal(SandboxOptions.DefaultClientId, Server.ClientId);
        using var after = await Http.GetAsync(new Uri(root, "_sandbox/requests"), Ct);
        Assert.Empty((await Read(after)).AsObject());
    }

    [Fact]
    public async Task The_http_fault_control_refuses_an_unknown_kind_with_409_on_kind()
    {
        var fault = """{"method":"GET","route":"/patient/{id}","kind":"Explode","count":1}""";
        using var response = await Http.PostAsync(new Uri(Server.RootAddress, "_sandbox/faults"), new StringContent(fault, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("/kind", (string?)(await Read(response))["errors"]![0]!["source"]!["pointer"]);
    }

    [Fact]
    public async Task A_seed_file_option_starts_the_sandbox_with_that_seed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"twine-seed-{Guid.NewGuid():N}.json");
        var seed = new JsonObject
        {
            ["data"] = new JsonArray(
                new JsonObject { ["type"] = "organization", ["id"] = "aaaaaaaaaaaaaaaaaaaaaaaa", ["attributes"] = new JsonObject { ["name"] = "Only Org" } }),
        };
        await File.WriteAllTextAsync(path, seed.ToJsonString(), Ct);
        try
        {
            await using var other = await SandboxServer.StartAsync(new SandboxOptions { Port = 0, SeedFile = path }, Ct);
            using var http = new HttpClient { BaseAddress = other.BaseAddress };
            using var tokenResponse = await http.PostAsync("oauth/token", TokenBody(), Ct);
            var token = (string)(await Read(tokenResponse))["data"]!["attributes"]!["access_token"]!;
            using var request = new HttpRequestMessage(HttpMethod.Get, "organization/aaaaaaaaaaaaaaaaaaaaaaaa");
            request.Headers.Authorization = new("Bearer", token);
            using var response = await http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Only Org", (string?)(await Read(response))["data"]!["attributes"]!["name"]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
