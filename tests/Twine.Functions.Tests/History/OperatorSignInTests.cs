using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Console;
using Twine.Functions.Ingestions.History;
using Twine.Functions.Ingestions.Replay;
using Twine.Functions.Ingestions.Status;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Tests.History;

/// <summary>
/// The operator routes behind the Microsoft Entra sign-in (App Service Authentication's X-MS-CLIENT-PRINCIPAL and the
/// app role, <see cref="OperatorAccess"/>), called through their function classes as the host calls them: 401 without a
/// readable principal, 403 without the role, the route's own answer with it; as before when sign-in is not required;
/// the partner webhooks never look at the header.
/// </summary>
public sealed class OperatorSignInTests(AzuriteFixture azurite)
{
    private const string IngestionId = "0123456789abcdef0123456789abcdef";

    private TestApp App(bool requireSignIn = true, string? role = null) => new(azurite, settings =>
    {
        if (requireSignIn)
        {
            settings["OperatorAuth:RequireSignIn"] = "true";
        }

        if (role is not null)
        {
            settings["OperatorAuth:Role"] = role;
        }
    });

    /// <summary>A principal as App Service writes it for an Entra sign-in, with the given claims.</summary>
    internal static string Principal(params (string Type, string Value)[] claims) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["auth_typ"] = "aad",
            ["claims"] = new JsonArray([.. claims.Select(c => (JsonNode)new JsonObject { ["typ"] = c.Type, ["val"] = c.Value })]),
            ["name_typ"] = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            ["role_typ"] = ClientPrincipal.RoleClaimUri,
        }.ToJsonString()));

    internal static readonly string Operator = Principal(("name", "Olga Operator"), ("preferred_username", "olga@example.com"), ("roles", "Twine.Operator"));
    internal static readonly string NotAnOperator = Principal(("name", "Nora Nobody"), ("roles", "Twine.Reader"));

    /// <summary>Each operator route, called through its function class with the given header (null: none).</summary>
    public static TheoryData<string> Routes() => new("ListIngestions", "GetIngestionSummary", "GetIngestionStatus", "ReplayIngestion", "ReplayIngestions", "OperatorConsole");

    private static async Task<TestResponse> CallAsync(TestApp app, string route, string? principal)
    {
        var context = new DefaultHttpContext { RequestServices = app.Services };
        if (principal is not null)
        {
            context.Request.Headers[ClientPrincipal.Header] = principal;
        }

        var ct = CancellationToken.None;
        var result = route switch
        {
            "ListIngestions" => await Create<IngestionHistoryFunctions>(app).List(context.Request, ct),
            "GetIngestionSummary" => await Create<IngestionHistoryFunctions>(app).Summary(context.Request, ct),
            "GetIngestionStatus" => await Create<GetIngestionStatusFunction>(app).Run(context.Request, IngestionId, ct),
            "ReplayIngestion" => await Create<ReplayFunctions>(app).ReplayOne(context.Request, IngestionId, ct),
            "ReplayIngestions" => await Create<ReplayFunctions>(app).ReplayMany(context.Request, ct),
            "OperatorConsole" => Create<ConsoleFunction>(app).Run(context.Request),
            _ => throw new ArgumentOutOfRangeException(nameof(route)),
        };
        return await app.ExecuteAsync(result);
    }

    private static string Logged(TestApp app) => string.Join("\n", app.Logs.GetSnapshot().Select(LogRecordText.Of));

    private static T Create<T>(TestApp app) => ActivatorUtilities.CreateInstance<T>(app.Services);

    /// <summary>What each route answers once past the sign-in (nothing stored under the id: 404 for the two that read it).</summary>
    private static int Answer(string route) => route is "GetIngestionStatus" or "ReplayIngestion" ? 404 : route == "ReplayIngestions" ? 202 : 200;

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Without_a_principal_every_operator_route_answers_401_problem_details(string route)
    {
        await using var app = App();
        var response = await CallAsync(app, route, null);
        response.AssertProblem(401);
        var problem = response.Json;
        Assert.Equal("urn:twine-functions:problem:sign-in-required", problem["type"]!.GetValue<string>());
        Assert.Equal(ClientPrincipal.Header, problem["errors"]![0]!["header"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_principal_without_the_operator_role_gets_403_and_nothing_of_who_it_is_is_logged(string route)
    {
        await using var app = App();
        var response = await CallAsync(app, route, NotAnOperator);
        response.AssertProblem(403);
        var problem = response.Json;
        Assert.Equal("urn:twine-functions:problem:operator-role-required", problem["type"]!.GetValue<string>());
        Assert.Contains("Twine.Operator", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("Nora", response.Body, StringComparison.Ordinal);

        var logged = Logged(app);
        Assert.Contains("no operator role", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("Nora", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("Twine.Reader", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_browser_refused_the_console_gets_a_page_with_a_sign_in_link_on_401_and_none_on_403()
    {
        await using var app = App();
        foreach (var (principal, status) in new[] { ((string?)null, 401), (NotAnOperator, 403) })
        {
            var context = new DefaultHttpContext { RequestServices = app.Services };
            context.Request.Headers.Accept = "text/html,application/xhtml+xml";
            if (principal is not null)
            {
                context.Request.Headers[ClientPrincipal.Header] = principal;
            }

            var response = await app.ExecuteAsync(Create<ConsoleFunction>(app).Run(context.Request));

            Assert.Equal((status, "text/html; charset=utf-8"), (response.Status, response.ContentType));
            Assert.Equal(status == 401, response.Body.Contains("href=\"/.auth/login/aad?post_login_redirect_uri=/api/console\"", StringComparison.Ordinal));
            Assert.DoesNotContain("<script", response.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("Nora", response.Body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task An_operator_gets_the_routes_own_answer(string route)
    {
        await using var app = App();
        var response = await CallAsync(app, route, Operator);
        Assert.True(response.Status == Answer(route), response.Body);
        Assert.DoesNotContain("Olga", Logged(app), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Without_sign_in_required_the_routes_answer_as_before_with_or_without_a_principal(string route)
    {
        await using var app = App(requireSignIn: false);
        Assert.Equal(Answer(route), (await CallAsync(app, route, null)).Status);
        Assert.Equal(Answer(route), (await CallAsync(app, route, NotAnOperator)).Status);
        Assert.Equal(Answer(route), (await CallAsync(app, route, "%%% not base64")).Status);
    }

    [Theory]
    [InlineData("%%% not base64")]
    [InlineData("bm90IGpzb24=")] // "not json"
    [InlineData("WzFd")] // [1]
    [InlineData("e30=")] // {} (no claims)
    [InlineData("eyJjbGFpbXMiOiAie30ifQ==")] // {"claims": "{}"}
    [InlineData("")]
    public async Task An_unreadable_principal_is_401(string header)
    {
        await using var app = App();
        (await CallAsync(app, "ListIngestions", header)).AssertProblem(401);
    }

    [Fact]
    public async Task The_role_may_come_as_the_long_role_claim_type_and_another_role_can_be_configured()
    {
        await using (var app = App())
        {
            var mapped = Principal(("name", "x"), (ClientPrincipal.RoleClaimUri, "Twine.Operator"));
            Assert.Equal(200, (await CallAsync(app, "ListIngestions", mapped)).Status);
            var wrongCase = Principal(("roles", "twine.operator"));
            (await CallAsync(app, "ListIngestions", wrongCase)).AssertProblem(403);
            var otherClaim = Principal(("groups", "Twine.Operator"));
            (await CallAsync(app, "ListIngestions", otherClaim)).AssertProblem(403);
        }

        await using (var app = App(role: "Ops.Admin"))
        {
            (await CallAsync(app, "ListIngestions", Operator)).AssertProblem(403);
            Assert.Equal(200, (await CallAsync(app, "ListIngestions", Principal(("roles", "Ops.Admin")))).Status);
        }
    }

    [Fact]
    public async Task A_partner_webhook_ignores_the_principal_header_when_sign_in_is_required()
    {
        await using var app = App();
        foreach (var principal in new[] { null, "%%% not base64", NotAnOperator })
        {
            var bytes = Encoding.UTF8.GetBytes(Bodies.Metrics(1).ToJsonString());
            var context = new DefaultHttpContext { RequestServices = app.Services };
            var signed = app.Sign(bytes);
            context.Request.Headers[WebhookHeaders.IdHeader] = signed.Id;
            context.Request.Headers[WebhookHeaders.TimestampHeader] = signed.Timestamp;
            context.Request.Headers[WebhookHeaders.SignatureHeader] = signed.Signature;
            if (principal is not null)
            {
                context.Request.Headers[ClientPrincipal.Header] = principal;
            }

            context.Request.ContentType = "application/vnd.api+json";
            context.Request.ContentLength = bytes.Length;
            context.Request.Body = new MemoryStream(bytes);
            var response = await app.ExecuteAsync(await Create<IngestMetricsFunction>(app).Run(context.Request, CancellationToken.None));
            Assert.True(response.Status == 202, response.Body);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Twine Operator")]
    public void A_bad_role_stops_the_app_at_start_up(string role)
    {
        var app = App(role: role);
        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<OperatorAuthOptions>>().Value);
        Assert.Contains("Role", error.Message, StringComparison.Ordinal);
    }
}
