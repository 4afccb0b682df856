using System.Text.Json.Nodes;
using Twine.Functions.Platform.Http;

namespace Twine.Infra.Tests;

/// <summary>
/// The operators' Microsoft Entra sign-in (App Service Authentication, docs/DEPLOY.md#operator-sign-in): off unless
/// TWINE_OPERATOR_CLIENT_ID is set; on, an authsettingsV2 that signs people in but leaves every decision to the app (so
/// the partner webhooks keep working with their function keys), and the settings that make the app require it.
/// </summary>
public sealed class OperatorSignInTests(DeploymentFixture deployment, ProductionDeploymentFixture production)
{
    private const string ClientId = "11111111-2222-3333-4444-555555555555";
    private const string OtherTenant = "99999999-8888-7777-6666-555555555555";
    private const string AuthSettingsType = "Microsoft.Web/sites/config";

    /// <summary>The issuer as the snapshot leaves it: the cloud's sign-in endpoint is known only in Azure (login.microsoftonline.com in the public cloud).</summary>
    private static string Issuer(string tenant) => $"[format('{{0}}{{1}}/v2.0', environment().authentication.loginEndpoint, '{tenant}')]";

    private static IEnumerable<JsonObject> AuthSettings(IEnumerable<JsonObject> resources) =>
        resources.Where(r => string.Equals((string?)r["type"], AuthSettingsType, StringComparison.OrdinalIgnoreCase)
                             && ((string)r["name"]!).EndsWith("/authsettingsV2", StringComparison.OrdinalIgnoreCase));

    private static Dictionary<string, string?> Settings(IEnumerable<JsonObject> resources) =>
        resources.Single(r => (string?)r["type"] == "Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => (string?)s!["value"]);

    [Fact]
    public void The_sign_in_is_off_by_default_in_both_profiles()
    {
        Assert.Empty(AuthSettings(deployment.Resources));
        Assert.Empty(AuthSettings(production.Resources));
        Assert.DoesNotContain(deployment.AppSettings, s => s.Key.StartsWith(OperatorAuthOptions.SectionName + "__", StringComparison.Ordinal));
        Assert.Equal("off", (string?)deployment.Outputs["TWINE_OPERATOR_SIGN_IN"]);
    }

    [Fact]
    public async Task With_a_client_id_App_Service_Authentication_signs_operators_in_and_the_app_requires_it()
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["TWINE_OPERATOR_CLIENT_ID"] = ClientId };

        var (resources, outputs) = await DeploymentFixture.SnapshotAsync(environment);

        var auth = Assert.Single(AuthSettings(resources));
        var expected = JsonNode.Parse($$"""
            {
              "platform": { "enabled": true },
              "globalValidation": { "requireAuthentication": false, "unauthenticatedClientAction": "AllowAnonymous" },
              "httpSettings": { "requireHttps": true },
              "identityProviders": {
                "azureActiveDirectory": {
                  "enabled": true,
                  "registration": { "clientId": "{{ClientId}}", "openIdIssuer": "{{Issuer(DeploymentFixture.TenantId)}}" },
                  "validation": { "allowedAudiences": [ "api://{{ClientId}}", "{{ClientId}}" ] }
                }
              },
              "login": { "tokenStore": { "enabled": false } }
            }
            """);
        Assert.True(JsonNode.DeepEquals(expected, auth["properties"]), auth["properties"]!.ToJsonString());

        var settings = Settings(resources);
        Assert.Equal("true", settings["OperatorAuth__RequireSignIn"]);
        Assert.Equal(OperatorAuthOptions.DefaultRole, settings["OperatorAuth__Role"]);
        Assert.Contains("OperatorAuth__RequireSignIn", AppConfiguration.OptionsKeys);
        Assert.Contains("OperatorAuth__Role", AppConfiguration.OptionsKeys);
        Assert.Equal("on", (string?)outputs["TWINE_OPERATOR_SIGN_IN"]);
    }

    [Fact]
    public async Task The_tenant_and_the_role_can_be_chosen()
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment)
        {
            ["TWINE_OPERATOR_CLIENT_ID"] = ClientId,
            ["TWINE_OPERATOR_TENANT_ID"] = OtherTenant,
            ["TWINE_OPERATOR_ROLE"] = "Ops.Admin",
        };

        var (resources, _) = await DeploymentFixture.SnapshotAsync(environment);

        var auth = Assert.Single(AuthSettings(resources));
        Assert.Equal(Issuer(OtherTenant),
            (string?)auth["properties"]!["identityProviders"]!["azureActiveDirectory"]!["registration"]!["openIdIssuer"]);
        Assert.Equal("Ops.Admin", Settings(resources)["OperatorAuth__Role"]);
    }

    [Theory]
    [InlineData("TWINE_OPERATOR_CLIENT_ID", "my-app", "operatorSignInClientId 'my-app' is not a client id")]
    [InlineData("TWINE_OPERATOR_TENANT_ID", "contoso.onmicrosoft.com", "operatorSignInTenantId 'contoso.onmicrosoft.com' is not a tenant id")]
    public async Task A_client_or_tenant_that_is_not_a_guid_stops_the_deployment(string variable, string value, string message)
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["TWINE_OPERATOR_CLIENT_ID"] = ClientId, [variable] = value };

        var run = await DeploymentFixture.TrySnapshotAsync(environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }
}
