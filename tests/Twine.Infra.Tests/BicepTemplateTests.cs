using System.Text.Json.Nodes;

namespace Twine.Infra.Tests;

/// <summary>
/// CI for the templates: every .bicep file under infra/bicep builds and lints with no diagnostic at all (a warning
/// fails as an error does), and the dev parameter file builds against main.bicep.
/// </summary>
public sealed class BicepTemplateTests(DeploymentFixture deployment)
{
    private static readonly string[] Files =
        Directory.EnumerateFiles(RepoPaths.Bicep, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepoPaths.Bicep, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static TheoryData<string> TemplateFiles { get; } = new(Files);

    [Fact]
    public void The_template_and_its_modules_are_where_the_build_expects_them()
    {
        string[] expected =
        [
            "main.bicep",
            "modules/alerts.bicep",
            "modules/functionapp.bicep",
            "modules/identity.bicep",
            "modules/keyvault.bicep",
            "modules/monitoring.bicep",
            "modules/network.bicep",
            "modules/roles.bicep",
            "modules/storage.bicep",
            "profiles.bicep",
        ];

        Assert.Subset(Files.ToHashSet(), expected.ToHashSet());
        Assert.True(File.Exists(Path.Combine(RepoPaths.Bicep, "main.bicepparam")));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Bicep, "prod.bicepparam")));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Bicep, "workbooks", "operations.workbook.json")));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Bicep, "bicepconfig.json")));
    }

    [Fact]
    public void Bicep_build_and_lint_report_no_diagnostic_for_any_file()
    {
        Assert.True(deployment.Build.ExitCode == 0 && deployment.Build.Diagnostics.Length == 0, deployment.Build.ToString());
        Assert.True(deployment.Lint.ExitCode == 0 && deployment.Lint.Diagnostics.Length == 0, deployment.Lint.ToString());
        Assert.Empty(deployment.Lint.StandardOutput.Trim());
    }

    [Theory]
    [MemberData(nameof(TemplateFiles))]
    public void Each_template_builds_without_diagnostics_into_an_ARM_deployment_template(string file)
    {
        Assert.Empty(DiagnosticsOf(deployment.Build, file));

        var compiled = Path.Combine(deployment.BuildOutput, Path.ChangeExtension(file, ".json"));
        Assert.True(File.Exists(compiled), $"bicep build wrote no {compiled}: {deployment.Build}");
        var template = JsonNode.Parse(File.ReadAllText(compiled))!.AsObject();
        Assert.Contains("deploymentTemplate.json", (string?)template["$schema"]);
    }

    [Theory]
    [MemberData(nameof(TemplateFiles))]
    public void Each_template_lints_and_builds_without_a_warning(string file)
    {
        Assert.Empty(DiagnosticsOf(deployment.Lint, file));
        Assert.Empty(DiagnosticsOf(deployment.Build, file));
    }

    private string[] DiagnosticsOf(BicepRun run, string file)
    {
        var path = Path.Combine(deployment.WorkDirectory, file);
        return run.Diagnostics.Where(d => d.StartsWith(path + "(", StringComparison.Ordinal)).ToArray();
    }

    [Fact]
    public async Task Every_template_is_formatted_as_bicep_format_writes_it()
    {
        var dir = Directory.CreateTempSubdirectory("twine-infra-format-").FullName;
        try
        {
            var files = Directory.EnumerateFiles(RepoPaths.Bicep, "*.bicep*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(RepoPaths.Bicep, f))
                .ToList();
            foreach (var file in files.Append("bicepconfig.json"))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, file))!);
                File.Copy(Path.Combine(RepoPaths.Bicep, file), Path.Combine(dir, file));
            }

            var run = await BicepCli.RunAsync(["format", "--pattern", "**/*.bicep*"], dir);
            Assert.True(run.ExitCode == 0, run.ToString());

            var unformatted = files
                .Where(f => File.ReadAllText(Path.Combine(dir, f)) != File.ReadAllText(Path.Combine(RepoPaths.Bicep, f)))
                .ToList();
            Assert.True(unformatted.Count == 0, "Not formatted (run bicep format on them): " + string.Join(", ", unformatted));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_dev_parameter_file_builds_and_names_no_secret_values()
    {
        var run = deployment.ParamsBuild;
        Assert.True(run.ExitCode == 0 && run.Diagnostics.Length == 0, run.ToString());

        var parameters = JsonNode.Parse((string)JsonNode.Parse(run.StandardOutput)!["parametersJson"]!)!["parameters"]!.AsObject();
        Assert.Equal("dev", (string?)parameters["environmentName"]!["value"]);
        Assert.Equal("twine-client-id", (string?)parameters["twineClientIdSecretName"]!["value"]);
        Assert.Equal("twine-client-secret", (string?)parameters["twineClientSecretSecretName"]!["value"]);
        Assert.Equal("0 */5 * * * *", (string?)parameters["pollSchedule"]!["value"]);
        Assert.Equal(DeploymentFixture.TwineOrganization, (string?)parameters["twineOrganization"]!["value"]);
        Assert.Equal("", (string?)parameters["emailHashKeySecretName"]!["value"]);
        Assert.True(Uri.TryCreate((string?)parameters["twineBaseAddress"]!["value"], UriKind.Absolute, out var twine) && twine.Scheme == "https");

        // Only names of secrets are parameters: nothing else in the file may be about a secret or a key.
        Assert.All(
            parameters.Select(p => p.Key),
            name => Assert.True(
                name.EndsWith("SecretName", StringComparison.Ordinal) || !ContainsAny(name, "secret", "password", "key", "connectionstring"),
                $"parameter {name} looks like a secret value"));
    }

    [Fact]
    public async Task The_dev_parameter_file_stops_with_the_variable_name_when_the_twine_organization_is_not_given()
    {
        var environment = DeploymentFixture.ParameterEnvironment
            .Where(e => e.Key != "TWINE_ORGANIZATION")
            .ToDictionary(e => e.Key, e => e.Value);

        var run = await BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], RepoPaths.Bicep, environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(run.Diagnostics, d => d.Contains("TWINE_ORGANIZATION", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_checks_see_a_warning_even_though_bicep_exits_0_for_it()
    {
        // Proves the checks above can fail: an unknown API version is only a warning (exit code 0) and an unused
        // parameter is an error under the repository's bicepconfig.json.
        var dir = Directory.CreateTempSubdirectory("twine-infra-lint-").FullName;
        try
        {
            File.Copy(Path.Combine(RepoPaths.Bicep, "bicepconfig.json"), Path.Combine(dir, "bicepconfig.json"));
            await File.WriteAllTextAsync(
                Path.Combine(dir, "warning.bicep"),
                "resource account 'Microsoft.Storage/storageAccounts@2000-01-01' existing = {\n  name: 'stexample'\n}\n\noutput id string = account.id\n",
                TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(
                Path.Combine(dir, "error.bicep"),
                "param unused string\n",
                TestContext.Current.CancellationToken);

            // The same commands, in the same form, as the fixture runs on infra/bicep.
            var build = await BicepCli.RunAsync(["build", "--pattern", "**/*.bicep", "--outdir", "out"], dir);
            var lint = await BicepCli.RunAsync(["lint", "--pattern", "**/*.bicep"], dir);

            Assert.Contains(build.Diagnostics, d => d.StartsWith(Path.Combine(dir, "warning.bicep") + "(", StringComparison.Ordinal) && d.Contains("Warning BCP081", StringComparison.Ordinal));
            Assert.Contains(lint.Diagnostics, d => d.StartsWith(Path.Combine(dir, "error.bicep") + "(", StringComparison.Ordinal) && d.Contains("Error no-unused-params", StringComparison.Ordinal));
            Assert.NotEqual(0, lint.ExitCode);

            // A warning alone: bicep succeeds, so only reading its diagnostics catches it.
            var warningOnly = await BicepCli.RunAsync(["build", "warning.bicep", "--stdout"], dir);
            Assert.Equal(0, warningOnly.ExitCode);
            Assert.Single(warningOnly.Diagnostics);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool ContainsAny(string text, params string[] parts) =>
        parts.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));
}
