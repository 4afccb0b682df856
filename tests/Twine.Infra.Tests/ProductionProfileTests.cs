using System.Text.Json.Nodes;

namespace Twine.Infra.Tests;

/// <summary>
/// The production profile (prod.bicepparam, or TWINE_PROFILE=prod through azd): VNet integration, private endpoints
/// for blob, queue, table and Key Vault with public access off, zone redundancy, a warm HTTP instance and a chosen
/// scale-out ceiling; and the dev profile staying cheap.
/// </summary>
public sealed class ProductionProfileTests(DeploymentFixture dev, ProductionDeploymentFixture prod)
{
    private static JsonNode Props(JsonObject resource) => resource["properties"]!;

    [Fact]
    public async Task The_production_parameter_file_builds_and_lints_clean()
    {
        Assert.True(prod.ProdParams.ExitCode == 0 && prod.ProdParams.Diagnostics.Length == 0, prod.ProdParams.ToString());

        foreach (var file in new[] { "main.bicepparam", "prod.bicepparam" })
        {
            var lint = await BicepCli.RunAsync(["lint", file], RepoPaths.Bicep, ProductionDeploymentFixture.ParameterEnvironment);
            Assert.True(lint.ExitCode == 0 && lint.Diagnostics.Length == 0, lint.ToString());
        }
    }

    [Fact]
    public void Azd_selects_the_same_production_parameters_with_TWINE_PROFILE()
    {
        var prodFile = ProductionDeploymentFixture.Parameters(prod.ProdParams);
        var mainWithProfile = ProductionDeploymentFixture.Parameters(prod.MainParamsWithProdProfile);

        Assert.Equal(prodFile.ToJsonString(), mainWithProfile.ToJsonString());
        Assert.True((bool)prodFile["vnetEnabled"]!["value"]!);
    }

    [Fact]
    public void Storage_blob_queue_table_and_the_vault_each_have_a_private_endpoint_in_their_dns_zone()
    {
        var storage = (string)prod.Single("Microsoft.Storage/storageAccounts")["id"]!;
        var vault = (string)prod.Single("Microsoft.KeyVault/vaults")["id"]!;
        var vnet = prod.Single("Microsoft.Network/virtualNetworks");
        var endpointSubnet = $"{vnet["id"]}/subnets/snet-private-endpoints";

        var endpoints = prod.OfType("Microsoft.Network/privateEndpoints").ToList();
        var byGroup = endpoints.ToDictionary(
            e => (string)Props(e)["privateLinkServiceConnections"]![0]!["properties"]!["groupIds"]![0]!,
            e => e);
        Assert.Equal(["blob", "queue", "table", "vault"], byGroup.Keys.Order(StringComparer.Ordinal));

        foreach (var (group, endpoint) in byGroup)
        {
            Assert.Equal(endpointSubnet, (string?)Props(endpoint)["subnet"]!["id"]);
            Assert.Equal(group == "vault" ? vault : storage, (string?)Props(endpoint)["privateLinkServiceConnections"]![0]!["properties"]!["privateLinkServiceId"]);

            // Its DNS zone group puts the name in privatelink.<service>... (storage suffix depends on the cloud).
            var zoneGroup = prod.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups")
                .Single(g => ((string)g["name"]!).StartsWith((string)endpoint["name"]! + "/", StringComparison.Ordinal));
            var zoneId = (string)Props(zoneGroup)["privateDnsZoneConfigs"]![0]!["properties"]!["privateDnsZoneId"]!;
            Assert.Contains(group == "vault" ? "privatelink.vaultcore.azure.net" : $"privatelink.{group}.", zoneId, StringComparison.Ordinal);
        }

        // Every zone is linked to the network, so the app resolves the private addresses.
        var zones = prod.OfType("Microsoft.Network/privateDnsZones").ToList();
        Assert.Equal(4, zones.Count);
        var links = prod.OfType("Microsoft.Network/privateDnsZones/virtualNetworkLinks").ToList();
        Assert.Equal(4, links.Count);
        Assert.All(links, l =>
        {
            Assert.Equal((string?)vnet["id"], (string?)Props(l)["virtualNetwork"]!["id"]);
            Assert.False((bool)Props(l)["registrationEnabled"]!);
        });
    }

    [Fact]
    public void Storage_and_the_vault_refuse_public_traffic_in_production_only()
    {
        foreach (var type in new[] { "Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults" })
        {
            Assert.Equal("Disabled", (string?)Props(prod.Single(type))["publicNetworkAccess"]);
            Assert.Equal("Deny", (string?)Props(prod.Single(type))["networkAcls"]!["defaultAction"]);
            Assert.Equal("Enabled", (string?)Props(dev.Single(type))["publicNetworkAccess"]);
        }
    }

    [Fact]
    public void The_app_integrates_with_a_subnet_delegated_to_flex_consumption()
    {
        var vnet = prod.Single("Microsoft.Network/virtualNetworks");
        var subnet = Props(vnet)["subnets"]!.AsArray().Single(s => (string?)s!["name"] == "snet-app")!;
        Assert.Equal("Microsoft.App/environments", (string?)subnet["properties"]!["delegations"]![0]!["properties"]!["serviceName"]);
        Assert.Equal($"{vnet["id"]}/subnets/snet-app", (string?)Props(prod.Site)["virtualNetworkSubnetId"]);

        // The app's module waits for the network module (its subnet output), so the endpoints exist at its first start.
        Assert.Null(Props(dev.Site)["virtualNetworkSubnetId"]);
        Assert.Empty(dev.OfType("Microsoft.Network/virtualNetworks"));
        Assert.Empty(dev.OfType("Microsoft.Network/privateEndpoints"));
    }

    [Fact]
    public void Production_is_zone_redundant_with_one_warm_http_instance_and_a_ceiling_of_20()
    {
        Assert.True((bool)Props(prod.Single("Microsoft.Web/serverfarms"))["zoneRedundant"]!);
        Assert.Equal("Standard_ZRS", (string?)prod.Single("Microsoft.Storage/storageAccounts")["sku"]!["name"]);

        var scale = Props(prod.Site)["functionAppConfig"]!["scaleAndConcurrency"]!;
        Assert.Equal(20, (int)scale["maximumInstanceCount"]!);
        var alwaysReady = Assert.Single(scale["alwaysReady"]!.AsArray());
        Assert.Equal("http", (string?)alwaysReady!["name"]);
        Assert.Equal(1, (int)alwaysReady["instanceCount"]!);

        Assert.Equal(90, (int)Props(prod.Single("Microsoft.OperationalInsights/workspaces"))["retentionInDays"]!);
    }

    [Fact]
    public void Dev_is_not_zone_redundant_and_has_no_warm_instance_LRS_storage_a_ceiling_of_10_and_30_days_of_logs()
    {
        Assert.False((bool)Props(dev.Single("Microsoft.Web/serverfarms"))["zoneRedundant"]!);
        Assert.Equal("Standard_LRS", (string?)dev.Single("Microsoft.Storage/storageAccounts")["sku"]!["name"]);
        var scale = Props(dev.Site)["functionAppConfig"]!["scaleAndConcurrency"]!;
        Assert.Equal(10, (int)scale["maximumInstanceCount"]!);
        Assert.Empty(scale["alwaysReady"]!.AsArray());
        Assert.Equal(30, (int)Props(dev.Single("Microsoft.OperationalInsights/workspaces"))["retentionInDays"]!);
    }

    [Fact]
    public void Production_keeps_the_same_identity_roles_and_security_settings()
    {
        Assert.Equal(5, prod.OfType("Microsoft.Authorization/roleAssignments").Count());
        var storage = Props(prod.Single("Microsoft.Storage/storageAccounts"));
        Assert.False((bool)storage["allowSharedKeyAccess"]!);
        Assert.True((bool)Props(prod.Single("Microsoft.KeyVault/vaults"))["enablePurgeProtection"]!);
        Assert.True((bool)Props(prod.Site)["httpsOnly"]!);
    }

    [Fact]
    public void The_vault_keeps_its_name_across_deployments_of_an_environment()
    {
        // Recovery after azd down depends on it: the name comes from the subscription, resource group and environment,
        // never from the time or the deployment.
        var compiled = dev.CompiledTemplate;
        Assert.DoesNotContain("utcNow(", compiled, StringComparison.Ordinal);
        Assert.DoesNotContain("newGuid(", compiled, StringComparison.Ordinal);
        Assert.Equal("kv-" + DeploymentFixture.ShortName(dev.Site).Split('-')[^1], DeploymentFixture.ShortName(dev.Single("Microsoft.KeyVault/vaults")));
    }
}
