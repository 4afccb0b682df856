using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Twine.Infra.Tests;

/// <summary>The security properties the deployment must have, read from what bicep snapshot says it would create.</summary>
public sealed partial class SecurityTests(DeploymentFixture deployment)
{
    private static JsonNode Props(JsonObject resource) => resource["properties"]!;

    [Fact]
    public void The_storage_account_accepts_only_microsoft_entra_id_over_tls_1_2()
    {
        var account = Props(deployment.Single("Microsoft.Storage/storageAccounts"));

        Assert.False((bool)account["allowSharedKeyAccess"]!);
        Assert.True((bool)account["defaultToOAuthAuthentication"]!);
        Assert.Equal("TLS1_2", (string?)account["minimumTlsVersion"]);
        Assert.True((bool)account["supportsHttpsTrafficOnly"]!);
        Assert.False((bool)account["allowBlobPublicAccess"]!);
        Assert.Equal("None", (string?)Props(deployment.Single("Microsoft.Storage/storageAccounts/blobServices/containers"))["publicAccess"]);
    }

    [Fact]
    public void The_key_vault_uses_rbac_soft_delete_and_purge_protection()
    {
        var vault = Props(deployment.Single("Microsoft.KeyVault/vaults"));

        Assert.True((bool)vault["enableRbacAuthorization"]!);
        Assert.True((bool)vault["enableSoftDelete"]!);
        Assert.True((bool)vault["enablePurgeProtection"]!);
        Assert.Null(vault["accessPolicies"]);
        Assert.Empty(deployment.OfType("Microsoft.KeyVault/vaults/secrets"));
        Assert.Empty(deployment.OfType("Microsoft.KeyVault/vaults/accessPolicies"));
    }

    [Fact]
    public void The_function_app_runs_dotnet_isolated_10_on_flex_consumption_as_its_user_assigned_identity()
    {
        var plan = deployment.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);

        var site = deployment.Site;
        var identity = deployment.Single("Microsoft.ManagedIdentity/userAssignedIdentities");
        Assert.Equal("functionapp,linux", (string?)site["kind"]);
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        Assert.Contains(site["identity"]!["userAssignedIdentities"]!.AsObject(), i => i.Key.Contains(DeploymentFixture.ShortName(identity), StringComparison.Ordinal));

        var config = Props(site)["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]!["version"]);

        // The deployment package lives in the container the template creates and is read with the same identity.
        var storage = config["deployment"]!["storage"]!;
        var container = deployment.Single("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Equal("blobContainer", (string?)storage["type"]);
        Assert.Contains(".primaryEndpoints.blob", (string?)storage["value"]);
        Assert.Contains(DeploymentFixture.ShortName(container), (string?)storage["value"]);
        Assert.Equal("UserAssignedIdentity", (string?)storage["authentication"]!["type"]);
        Assert.Contains(DeploymentFixture.ShortName(identity), (string?)storage["authentication"]!["userAssignedIdentityResourceId"]);
    }

    [Fact]
    public void The_function_app_takes_https_only_with_tls_1_2_and_no_ftp_or_basic_publishing()
    {
        var properties = Props(deployment.Site);
        Assert.True((bool)properties["httpsOnly"]!);
        Assert.Equal("Disabled", (string?)properties["siteConfig"]!["ftpsState"]);
        Assert.Equal("1.2", (string?)properties["siteConfig"]!["minTlsVersion"]);
        Assert.Equal("1.2", (string?)properties["siteConfig"]!["scmMinTlsVersion"]);

        var policies = deployment.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
            .ToDictionary(DeploymentFixture.ShortName, p => (bool)Props(p)["allow"]!);
        Assert.Equal(new Dictionary<string, bool> { ["ftp"] = false, ["scm"] = false }, policies);
    }

    [Fact]
    public void Application_insights_has_local_authentication_off_and_a_log_analytics_workspace()
    {
        var component = Props(deployment.Single("Microsoft.Insights/components"));
        var workspace = deployment.Single("Microsoft.OperationalInsights/workspaces");

        Assert.True((bool)component["DisableLocalAuth"]!);
        Assert.Contains(DeploymentFixture.ShortName(workspace), (string?)component["WorkspaceResourceId"]);
    }

    [Fact]
    public void Nothing_in_the_template_reads_or_writes_a_key_or_a_secret_value()
    {
        // The whole compiled template (all modules): no key listing, no SAS, no connection string with a key,
        // no secret parameter, no secret resource.
        var text = deployment.CompiledTemplate;
        foreach (var forbidden in new[] { "listKeys(", "listSecrets(", "listAccountSas(", "listServiceSas(", "AccountKey=", "SharedAccessSignature", "getSecret(", "securestring", "secureObject", "Microsoft.KeyVault/vaults/secrets" })
        {
            Assert.DoesNotContain(forbidden, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Resource_names_fit_azure_limits()
    {
        Assert.Matches(StorageAccountName(), DeploymentFixture.ShortName(deployment.Single("Microsoft.Storage/storageAccounts")));
        Assert.Matches(VaultName(), DeploymentFixture.ShortName(deployment.Single("Microsoft.KeyVault/vaults")));
        Assert.Matches(SiteName(), DeploymentFixture.ShortName(deployment.Site));
        Assert.Matches(ContainerName(), DeploymentFixture.ShortName(deployment.Single("Microsoft.Storage/storageAccounts/blobServices/containers")));
        // Every regional resource in the deployment's region; action groups and private DNS zones are global resources.
        Assert.All(
            deployment.Resources.Where(r => r["location"] is not null && (string?)r["location"] != "global"),
            r => Assert.Equal(DeploymentFixture.Location, (string?)r["location"]));
        Assert.All(
            deployment.Resources.Where(r => (string?)r["location"] == "global"),
            r => Assert.Contains((string?)r["type"], new[] { "Microsoft.Insights/actionGroups", "Microsoft.Network/privateDnsZones", "Microsoft.Network/privateDnsZones/virtualNetworkLinks" }));
        Assert.All(
            deployment.Resources.Where(r => r["tags"] is not null),
            r => Assert.Equal(DeploymentFixture.EnvironmentName, (string?)r["tags"]!["azd-env-name"]));
    }

    [GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial Regex StorageAccountName();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")]
    private static partial Regex VaultName();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$")]
    private static partial Regex SiteName();

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
