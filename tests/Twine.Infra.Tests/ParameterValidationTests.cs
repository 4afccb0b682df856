namespace Twine.Infra.Tests;

/// <summary>
/// Names that would break a later layer are refused at deployment time, with a message that names the culprit (the
/// template's fail() checks, evaluated offline by bicep snapshot exactly as ARM evaluates them before creating
/// anything), and the parameter files clean up what a person types (spaces, trailing commas).
/// </summary>
public sealed class ParameterValidationTests(DeploymentFixture deployment, ProductionDeploymentFixture production)
{
    public static TheoryData<string, string> BadPartnerLists { get; } = new()
    {
        { "acme, acme_corp", "not: 'acme_corp'" },
        { "acme,acme-corp", "not: 'acme-corp'" },
        { "acme corp", "not: 'acme corp'" },
        { "acmé", "not: 'acmé'" },
        { new string('a', 65), "not: '" + new string('a', 65) + "'" },
        { "acme,ACME", "lists a partner twice" },
    };

    [Theory]
    [MemberData(nameof(BadPartnerLists))]
    public async Task A_partner_name_that_is_not_letters_and_digits_fails_the_deployment_with_the_name(string partners, string expected)
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["TWINE_WEBHOOK_PARTNERS"] = partners };

        var run = await DeploymentFixture.TrySnapshotAsync(environment);

        Assert.NotEqual(0, run.ExitCode);
        var output = run.StandardOutput + run.StandardError;
        Assert.Contains("webhookPartners", output, StringComparison.Ordinal);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_partner_list_is_trimmed_and_empty_entries_are_dropped()
    {
        // " acme , Contoso2," as typed: two partners, no spaces in any setting name.
        var partnerSettings = production.AppSettings.Where(s => s.Key.StartsWith("Webhooks__", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["Webhooks__Partners__acme__SecretName", "Webhooks__Partners__Contoso2__SecretName"],
            partnerSettings.Select(s => s.Key));
        Assert.Equal(["webhook-secret-acme", "webhook-secret-contoso2"], partnerSettings.Select(s => s.Value));
        Assert.Equal("acme,Contoso2", (string?)production.Outputs["TWINE_WEBHOOK_PARTNER_NAMES"]);

        var parameters = ProductionDeploymentFixture.Parameters(production.ProdParams);
        Assert.Equal(["acme", "Contoso2"], parameters["webhookPartners"]!["value"]!.AsArray().Select(p => (string?)p));
    }

    [Fact]
    public async Task No_partner_variable_gives_no_partner()
    {
        var environment = DeploymentFixture.ParameterEnvironment.Where(e => e.Key != "TWINE_WEBHOOK_PARTNERS").ToDictionary(e => e.Key, e => e.Value);
        environment["TWINE_WEBHOOK_PARTNERS"] = " , ";

        var run = await BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], RepoPaths.Bicep, environment);

        Assert.Empty(ProductionDeploymentFixture.Parameters(run)["webhookPartners"]!["value"]!.AsArray());
    }

    [Fact]
    public void The_partner_name_rule_is_one_the_app_accepts()
    {
        // Letters and digits are a subset of what the app's start-up validation allows, so a name the template lets
        // through never stops the app.
        var options = new Twine.Functions.Partners.WebhooksOptions();
        options.Partners["Contoso2"] = new Twine.Functions.Partners.PartnerOptions { SecretName = "webhook-secret-contoso2" };
        options.Partners[new string('a', 64)] = new Twine.Functions.Partners.PartnerOptions { SecretName = "webhook-secret-a" };
        var result = new Twine.Functions.Partners.WebhooksOptionsValidator(vaultConfigured: true).Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);

        Assert.Equal(
            Twine.Functions.Partners.PartnerOptions.DefaultSecretName("Contoso2"),
            production.AppSetting("Webhooks__Partners__Contoso2__SecretName"));
    }

    [Theory]
    [InlineData("Dev")]
    [InlineData("dev_1")]
    [InlineData("dev.1")]
    [InlineData("-dev")]
    [InlineData("dev-")]
    public async Task An_environment_name_that_breaks_the_site_name_fails_the_deployment(string name)
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["AZURE_ENV_NAME"] = name };

        var run = await DeploymentFixture.TrySnapshotAsync(environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"environmentName '{name}' must be lowercase letters, digits and inner hyphens", run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("an-environment-name-longer-than-20")]
    public async Task An_environment_name_of_the_wrong_length_is_refused(string name)
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["AZURE_ENV_NAME"] = name };

        var run = await BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], RepoPaths.Bicep, environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(run.Diagnostics, d => d.Contains("environmentName", StringComparison.Ordinal) || d.Contains("length", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_longest_environment_name_still_gives_a_valid_site_name()
    {
        // func-twine-<env>-<13-character token>: 20 characters of environment name keep it within 60.
        var site = DeploymentFixture.ShortName(deployment.Site);
        var token = site.Split('-')[^1];
        Assert.Equal(13, token.Length);
        Assert.True($"func-twine-{new string('a', 20)}-{token}".Length <= 60);
    }

    [Fact]
    public async Task An_unknown_profile_stops_the_build_with_the_variable_name()
    {
        var environment = new Dictionary<string, string?>(DeploymentFixture.ParameterEnvironment) { ["TWINE_PROFILE"] = "staging" };

        var run = await BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], RepoPaths.Bicep, environment);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(run.Diagnostics, d => d.Contains("TWINE_PROFILE must be dev or prod, not 'staging'", StringComparison.Ordinal));
    }
}
