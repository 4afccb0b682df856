using System.Diagnostics;

namespace Twine.Infra.Tests;

/// <summary>
/// azure.yaml's azd version and hooks, and the hook scripts run as azd runs them (sh, with azd's variables), against a
/// fake <c>az</c> on PATH that records its calls: the postprovision hook prints commands and runs none; the
/// preprovision hook recovers a soft-deleted vault after azd down and leaves everything else alone.
/// </summary>
public sealed class AzdHookTests(ProductionDeploymentFixture production)
{
    private const string Vault = "kv-abc123def4567";

    [Fact]
    public void Azure_yaml_requires_an_azd_version_and_runs_the_two_hooks_from_infra_scripts()
    {
        var yaml = File.ReadAllText(RepoPaths.InRepo("azure.yaml"));
        Assert.Matches(@"(?m)^requiredVersions:\s*\n\s+azd:\s*""?>=\s*\d+\.\d+\.\d+""?\s*$", yaml);
        foreach (var hook in new[] { "preprovision", "postprovision" })
        {
            Assert.Matches($@"(?m)^  {hook}:\s*\n(\s{{4}}.*\n)*?\s{{4}}run: \./infra/scripts/{hook}\.sh\s*$", yaml);
            Assert.True(File.Exists(RepoPaths.InRepo("infra", "scripts", hook + ".sh")));
        }
    }

    [Fact]
    public async Task Postprovision_prints_the_secret_commands_with_the_vault_filled_in_and_runs_nothing()
    {
        var parameters = ProductionDeploymentFixture.Parameters(production.ProdParams);
        var run = await RunScriptAsync("postprovision.sh", new()
        {
            ["AZURE_KEY_VAULT_NAME"] = Vault,
            // As the template outputs them (trimmed, checked) and as azd keeps them.
            ["TWINE_WEBHOOK_PARTNER_NAMES"] = (string?)production.Outputs["TWINE_WEBHOOK_PARTNER_NAMES"],
            ["TWINE_VNET_ENABLED"] = (string?)production.Outputs["TWINE_VNET_ENABLED"],
            ["TWINE_EMAIL_HASH_KEY_SECRET_NAME"] = ProductionDeploymentFixture.EmailHashKeySecretName,
        });

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.AzCalls); // printed, not run
        var lines = run.Output.Split('\n');
        var commands = lines.Select(l => l.Trim()).Where(l => l.StartsWith("az ", StringComparison.Ordinal) || l.StartsWith("read ", StringComparison.Ordinal)).ToList();
        Assert.All(commands.Where(c => c.Contains("keyvault", StringComparison.Ordinal)), c => Assert.Contains(Vault, c, StringComparison.Ordinal));

        // The secret names the app is given.
        Assert.Contains(commands, c => c.Contains($"--vault-name {Vault} --name {(string?)parameters["twineClientIdSecretName"]!["value"]} --value \"$value\"", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains($"--vault-name {Vault} --name {(string?)parameters["twineClientSecretSecretName"]!["value"]} --value \"$value\"", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("Key Vault Secrets Officer", StringComparison.Ordinal));

        // One per partner, named as the app settings name them (lowercase).
        foreach (var partner in ProductionDeploymentFixture.Partners)
        {
            var secret = production.AppSetting($"Webhooks__Partners__{partner}__SecretName");
            Assert.Contains(commands, c => c.Contains($"--name {secret} --value \"whsec_$(openssl rand -base64 32)\"", StringComparison.Ordinal));
        }

        Assert.Contains(commands, c => c.Contains($"--name {ProductionDeploymentFixture.EmailHashKeySecretName} --value \"$(openssl rand -base64 32)\"", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith($"az keyvault update --name {Vault} --public-network-access Enabled", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith($"az keyvault update --name {Vault} --public-network-access Disabled", StringComparison.Ordinal));
        Assert.DoesNotContain("{", string.Join('\n', commands).Replace("${", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postprovision_for_dev_without_partners_says_so_and_has_no_network_step()
    {
        var run = await RunScriptAsync("postprovision.sh", new() { ["AZURE_KEY_VAULT_NAME"] = Vault, ["TWINE_VNET_ENABLED"] = "false" });

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("No webhook partners", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("webhook-secret-", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("--public-network-access", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("email", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Postprovision_without_a_vault_name_fails_with_the_variable_name()
    {
        var run = await RunScriptAsync("postprovision.sh", []);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("AZURE_KEY_VAULT_NAME", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preprovision_after_azd_down_recreates_the_group_and_recovers_the_soft_deleted_vault()
    {
        var run = await RunScriptAsync("preprovision.sh", new() { ["AZURE_KEY_VAULT_NAME"] = Vault }, fakeAz: "deleted");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"group create --name rg-twine-prod --location westeurope -o none", run.AzCalls);
        Assert.Contains($"keyvault recover --name {Vault} -o none", run.AzCalls);
        Assert.True(run.AzCalls.IndexOf("group create --name rg-twine-prod --location westeurope -o none") < run.AzCalls.IndexOf($"keyvault recover --name {Vault} -o none"));
    }

    [Theory]
    [InlineData("exists", "exists; nothing to recover")]
    [InlineData("none", "the deployment creates it")]
    [InlineData("signed-out", "not signed in")]
    public async Task Preprovision_recovers_nothing_when_there_is_nothing_to_recover(string state, string message)
    {
        var run = await RunScriptAsync("preprovision.sh", new() { ["AZURE_KEY_VAULT_NAME"] = Vault }, fakeAz: state);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.AzCalls, c => c.StartsWith("keyvault recover", StringComparison.Ordinal) || c.StartsWith("group create", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Preprovision_of_a_new_environment_does_not_call_azure()
    {
        var run = await RunScriptAsync("preprovision.sh", [], fakeAz: "deleted");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.AzCalls);
        Assert.Contains("first provisioning", run.Output, StringComparison.Ordinal);
    }

    private sealed record ScriptRun(int ExitCode, string Output, List<string> AzCalls);

    /// <summary>
    /// Runs infra/scripts/<paramref name="script"/> with sh, only the given variables (and PATH), and a fake az that
    /// logs its arguments and answers as a subscription in <paramref name="fakeAz"/> state would.
    /// </summary>
    private static async Task<ScriptRun> RunScriptAsync(string script, Dictionary<string, string?> environment, string fakeAz = "none")
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The hook scripts are POSIX sh scripts; their tests run on Linux or macOS.");
        }

        var dir = Directory.CreateTempSubdirectory("twine-hook-").FullName;
        try
        {
            var log = Path.Combine(dir, "az.log");
            var az = Path.Combine(dir, "az");
            await File.WriteAllTextAsync(az, $$"""
                #!/bin/sh
                echo "$*" >> '{{log}}'
                state='{{fakeAz}}'
                case "$*" in
                  "account show"*) [ "$state" = signed-out ] && exit 1; echo 00000000-0000-0000-0000-0000000000aa ;;
                  "keyvault show-deleted"*"properties.vaultId"*) [ "$state" = deleted ] || exit 3; echo "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-twine-prod/providers/Microsoft.KeyVault/vaults/{{Vault}}" ;;
                  "keyvault show-deleted"*"properties.location"*) echo westeurope ;;
                  "keyvault show "*) [ "$state" = exists ] || exit 3; echo {{Vault}} ;;
                  "group exists"*) echo false ;;
                esac
                exit 0
                """.Replace("\r", "", StringComparison.Ordinal), TestContext.Current.CancellationToken);
            File.SetUnixFileMode(az, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var start = new ProcessStartInfo("sh")
            {
                WorkingDirectory = RepoPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(RepoPaths.InRepo("infra", "scripts", script));
            start.Environment.Clear();
            start.Environment["PATH"] = $"{dir}:/usr/bin:/bin";
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            var calls = File.Exists(log) ? (await File.ReadAllLinesAsync(log, TestContext.Current.CancellationToken)).ToList() : [];
            // "account show" is how the script checks for a sign-in; the rest are what it did.
            return new ScriptRun(process.ExitCode, await stdout + await stderr, calls.Where(c => !c.StartsWith("account show", StringComparison.Ordinal)).ToList());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
