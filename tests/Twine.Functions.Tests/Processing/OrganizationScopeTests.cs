using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// The app's Twine credentials are scoped to one organization (the sandbox's first). Processing never reaches into
/// another organization: a write naming another organization's patient is refused by Twine with 403 Forbidden, recorded
/// as a permanent failure with Twine's error and req_id, not retried, and nothing is delivered there.
/// </summary>
public sealed class OrganizationScopeTests : IClassFixture<SandboxFixture>
{
    private const string MetricsRoute = "/patient_health_metric";
    private const string OtherOrganization = SandboxOptions.SecondOrganizationId;
    private const string OtherOrganizationsPatient = "5a1000000000000000000020"; // seeded in the second organization, MRN 121212
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public OrganizationScopeTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    /// <summary>The metrics the second organization holds for its patient, asked with that organization's own credentials.</summary>
    private async Task<int> OtherOrganizationsMetricCountAsync()
    {
        using var http = new HttpClient { BaseAddress = _sandbox.BaseAddress };
        var tokenBody = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "token",
                ["attributes"] = new JsonObject
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = _sandbox.SecondClientId,
                    ["client_secret"] = _sandbox.SecondClientSecret,
                },
            },
        };
        using var tokenResponse = await http.PostAsync("oauth/token",
            new StringContent(tokenBody.ToJsonString(), Encoding.UTF8, "application/vnd.api+json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, tokenResponse.StatusCode);
        var token = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["data"]!["attributes"]!["access_token"]!.GetValue<string>();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"patient_health_metric?filter[patient]={OtherOrganizationsPatient}&page[size]=0");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["meta"]!["count"]!.GetValue<int>();
    }

    [Fact]
    public async Task A_metric_for_another_organizations_patient_is_a_permanent_failure_with_twines_403_and_is_never_delivered()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(2).With("data/1/relationships/patient/data/id", OtherOrganizationsPatient))).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None); // recorded, not thrown

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Failed, 0, 2), (record.Status, record.Created, record.Failed));
        var error = Assert.Single(record.Errors);
        Assert.Equal("Forbidden", error.Code);
        Assert.Equal("/data/1/relationships/patient/data/id", error.Pointer);
        Assert.False(string.IsNullOrEmpty(error.ReqId));
        Assert.Equal(1, _sandbox.RequestCount("POST", MetricsRoute)); // a 403 is not retried

        Assert.Equal(0, await OtherOrganizationsMetricCountAsync());
        Assert.Empty(await app.SandboxMetricsAsync()); // nothing of the request was written for the organization's own patient either
    }

    [Fact]
    public async Task A_metric_whose_meta_query_names_another_organization_is_recorded_as_forbidden()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var body = ProcessingApp.Metrics(1)
            .With("data/0/relationships/patient/data/id", null, remove: true)
            .With("data/0/relationships/patient/data/meta", JsonNode.Parse(
                """{"query":{"identifier":{"system":"medical-record-number","value":"121212"},"organization":"ORG"}}""".Replace("ORG", OtherOrganization, StringComparison.Ordinal)));
        var id = (await app.PostMetricsAsync(body)).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(IngestionStatus.Failed, record.Status);
        var error = Assert.Single(record.Errors);
        Assert.Equal(("Forbidden", "/data/0/relationships/patient/data/meta/query/organization"), (error.Code, error.Pointer));
        Assert.Equal(0, await OtherOrganizationsMetricCountAsync());
    }

    [Fact]
    public async Task A_meta_query_without_organization_resolves_inside_the_apps_organization_only()
    {
        // MRN 121212 belongs to a patient in each organization: the app's credentials find only its own.
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var body = ProcessingApp.Metrics(1)
            .With("data/0/relationships/patient/data/id", null, remove: true)
            .With("data/0/relationships/patient/data/meta", JsonNode.Parse("""{"query":{"identifier":{"system":"medical-record-number","value":"121212"}}}"""));
        var id = (await app.PostMetricsAsync(body)).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));

        await app.MetricsProcessor().ProcessAsync(message, 1, CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Succeeded, 1), (record.Status, record.Created));
        Assert.Equal(0, await OtherOrganizationsMetricCountAsync());
        var created = Assert.Single(record.TwineIds);
        Assert.Contains(created, (await app.SandboxMetricsAsync("5a0c8e27a9d454cc150997f7")).Select(m => m.Id)); // the first organization's MRN 121212
    }
}
