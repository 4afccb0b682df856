using System.Text.RegularExpressions;

namespace Twine.Infra.Tests;

/// <summary>The template's outputs and the azd project file that deploys it.</summary>
public sealed partial class OutputsAndAzdTests(DeploymentFixture deployment)
{
    [Fact]
    public void Outputs_name_the_app_its_host_the_vault_and_the_storage_account_and_nothing_secret()
    {
        var outputs = deployment.Outputs.ToDictionary(o => o.Key, o => (string?)o.Value);

        Assert.Subset(
            outputs.Keys.ToHashSet(),
            new HashSet<string> { "AZURE_FUNCTION_APP_NAME", "AZURE_FUNCTION_APP_HOST_NAME", "AZURE_KEY_VAULT_URI", "AZURE_STORAGE_ACCOUNT_NAME" });
        Assert.Equal(DeploymentFixture.ShortName(deployment.Site), outputs["AZURE_FUNCTION_APP_NAME"]);
        Assert.EndsWith(".defaultHostName]", outputs["AZURE_FUNCTION_APP_HOST_NAME"]);
        Assert.EndsWith(".vaultUri]", outputs["AZURE_KEY_VAULT_URI"]);
        Assert.Equal(DeploymentFixture.ShortName(deployment.Single("Microsoft.Storage/storageAccounts")), outputs["AZURE_STORAGE_ACCOUNT_NAME"]);

        Assert.All(outputs, o =>
        {
            Assert.DoesNotMatch(SecretLikeName(), o.Key);
            Assert.DoesNotContain("AccountKey=", o.Value ?? "", StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessSignature", o.Value ?? "", StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("ConnectionString", o.Value ?? "", StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("list", o.Value ?? "", StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void Azd_provisions_infra_bicep_and_deploys_the_function_app_the_template_tags()
    {
        var yaml = File.ReadAllLines(RepoPaths.InRepo("azure.yaml"));
        string Value(string key) => yaml.Select(l => l.Trim()).Single(l => l.StartsWith(key + ":", StringComparison.Ordinal))[(key.Length + 1)..].Trim();

        Assert.Equal("bicep", Value("provider"));
        Assert.Equal("infra/bicep", Value("path"));
        Assert.Equal("main", Value("module"));
        Assert.True(File.Exists(RepoPaths.InRepo("infra", "bicep", "main.bicep")));
        Assert.True(File.Exists(RepoPaths.InRepo("infra", "bicep", "main.bicepparam")));

        Assert.Equal("dotnet", Value("language"));
        Assert.Equal("function", Value("host"));
        var project = Value("project");
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, project, "Twine.Functions.csproj")), project);

        // azd finds the app to deploy by the tag azd-service-name = the service's key under services:.
        var servicesLine = Array.FindIndex(yaml, l => l.TrimEnd() == "services:");
        var service = yaml.Skip(servicesLine + 1).First(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).Trim().TrimEnd(':');
        Assert.Equal(service, (string?)deployment.Site["tags"]!["azd-service-name"]);
    }

    [GeneratedRegex("(?i)(secret|password|key$|keys|connectionstring|sas)")]
    private static partial Regex SecretLikeName();
}
