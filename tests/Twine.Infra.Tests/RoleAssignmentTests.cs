using System.Text.RegularExpressions;

namespace Twine.Infra.Tests;

/// <summary>
/// Least privilege: exactly five role assignments, all for the app's user-assigned identity, each on the one resource
/// that needs it, with Azure's built-in role definition ids.
/// </summary>
public sealed partial class RoleAssignmentTests(DeploymentFixture deployment)
{
    // Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    [Fact]
    public void The_identity_has_exactly_the_five_roles_it_needs_each_on_its_resource()
    {
        var identity = DeploymentFixture.ShortName(deployment.Single("Microsoft.ManagedIdentity/userAssignedIdentities"));
        var storage = DeploymentFixture.ShortName(deployment.Single("Microsoft.Storage/storageAccounts"));
        var vault = DeploymentFixture.ShortName(deployment.Single("Microsoft.KeyVault/vaults"));
        var insights = DeploymentFixture.ShortName(deployment.Single("Microsoft.Insights/components"));

        var assignments = deployment.OfType("Microsoft.Authorization/roleAssignments")
            .Select(a =>
            {
                var properties = a["properties"]!;
                Assert.Equal("ServicePrincipal", (string?)properties["principalType"]);
                Assert.Contains($"Microsoft.ManagedIdentity/userAssignedIdentities/{identity}'", (string?)properties["principalId"]);
                Assert.EndsWith(".principalId]", (string?)properties["principalId"]);

                var role = RoleId().Match((string)properties["roleDefinitionId"]!);
                Assert.True(role.Success, (string?)properties["roleDefinitionId"]);
                var scope = Scope().Match((string)a["id"]!);
                Assert.True(scope.Success, (string?)a["id"]);
                return (Role: role.Groups[1].Value, Scope: scope.Groups[1].Value);
            })
            .OrderBy(a => a.Role, StringComparer.Ordinal)
            .ToList();

        (string Role, string Scope)[] expected =
        [
            (StorageBlobDataOwner, $"Microsoft.Storage/storageAccounts/{storage}"),
            (StorageQueueDataContributor, $"Microsoft.Storage/storageAccounts/{storage}"),
            (StorageTableDataContributor, $"Microsoft.Storage/storageAccounts/{storage}"),
            (KeyVaultSecretsUser, $"Microsoft.KeyVault/vaults/{vault}"),
            (MonitoringMetricsPublisher, $"Microsoft.Insights/components/{insights}"),
        ];
        Assert.Equal(expected.OrderBy(a => a.Role, StringComparer.Ordinal), assignments);
    }

    [Fact]
    public void The_roles_exist_before_the_function_app_is_created()
    {
        // The app module depends on the roles module, so the app's first start already has its access.
        var template = System.Text.Json.Nodes.JsonNode.Parse(deployment.CompiledTemplate)!;
        // Language version 2.0 templates (the compiler picks it for lambdas) key resources by symbolic name.
        var resources = template["resources"] is System.Text.Json.Nodes.JsonObject byName
            ? byName.Select(r => r.Value)
            : template["resources"]!.AsArray().AsEnumerable();
        var functionApp = resources
            .Single(r => (string?)r!["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == "functionApp")!;
        Assert.Contains(
            functionApp["dependsOn"]!.AsArray().Select(d => (string?)d),
            d => d is not null && (d == "roles" || d.Contains("'roles'", StringComparison.Ordinal))); // symbolic name or resourceId()
    }

    [GeneratedRegex("/providers/Microsoft\\.Authorization/roleDefinitions/([0-9a-f-]{36})$")]
    private static partial Regex RoleId();

    [GeneratedRegex("^\\[extensionResourceId\\('/subscriptions/[^/]+/resourceGroups/[^/]+/providers/([^']+)', 'Microsoft\\.Authorization/roleAssignments'")]
    private static partial Regex Scope();
}
