using System.Text.Json.Nodes;

[assembly: AssemblyFixture(typeof(Twine.Infra.Tests.ProductionDeploymentFixture))]

namespace Twine.Infra.Tests;

/// <summary>
/// What a deployment with infra/bicep/prod.bicepparam (the production profile) would create, evaluated once per test
/// run by <c>bicep snapshot</c>, with every optional variable set (partners, an email hash key secret, alert e-mails);
/// and the two ways of getting the production parameters compiled: prod.bicepparam, and main.bicepparam with
/// TWINE_PROFILE=prod (how azd selects it).
/// </summary>
public sealed class ProductionDeploymentFixture : IAsyncLifetime
{
    public const string EnvironmentName = "prod";
    public const string EmailHashKeySecretName = "twine-email-hash-key";
    public static readonly string[] Partners = ["acme", "Contoso2"];
    public static readonly string[] AlertEmails = ["ops@example.com", "oncall@example.com"];

    /// <summary>TWINE_FHIR_PARTNERS with every member set, for one of the partners (docs/DEPLOY.md#partner-fhir-settings).</summary>
    public const string FhirPartners = """
        [{"partner":"Contoso2","organization":"58c4554710123c5c40dbab81",
          "identifierSystems":[{"fhirSystem":"http://hospital.example.org/mrn","twineSystem":"medical-record-number"},{"fhirSystem":"urn:oid:2.16.840.1.113883.4.1","twineSystem":"ssn"}],
          "patientIdSystem":"contoso-fhir-patient",
          "practitioners":[{"practitioner":"Practitioner/dr-who","twineUser":"5a0c8e27a9d454cc150997c9"},{"practitioner":"http://hl7.org/fhir/sid/us-npi|1234567893","twineUser":"581630c3237d84a9403533c6"}],
          "eventTypes":[{"system":"http://snomed.info/sct","code":"185317003","twineType":"telephone-call"},{"code":"VR","twineType":"video-call"}],
          "defaultEventType":"office-visit"}]
        """;

    /// <summary>The variables as an operator would set them for production (with spaces a hand-typed list has).</summary>
    public static IReadOnlyDictionary<string, string?> ParameterEnvironment { get; } = new Dictionary<string, string?>
    {
        ["AZURE_ENV_NAME"] = EnvironmentName,
        ["AZURE_LOCATION"] = DeploymentFixture.Location,
        ["TWINE_ORGANIZATION"] = DeploymentFixture.TwineOrganization,
        ["TWINE_WEBHOOK_PARTNERS"] = " acme , Contoso2,",
        ["TWINE_EMAIL_HASH_KEY_SECRET_NAME"] = EmailHashKeySecretName,
        ["TWINE_ALERT_EMAILS"] = "ops@example.com, oncall@example.com",
        ["TWINE_FHIR_PARTNERS"] = FhirPartners,
    };

    private IReadOnlyList<JsonObject>? _resources;
    private JsonObject? _outputs;
    private string? _failure;

    public IReadOnlyList<JsonObject> Resources => _resources ?? throw new InvalidOperationException("The production profile could not be evaluated: " + _failure);

    public JsonObject Outputs => _outputs ?? throw new InvalidOperationException("The production profile could not be evaluated: " + _failure);

    /// <summary><c>bicep build-params prod.bicepparam</c>.</summary>
    public BicepRun ProdParams { get; private set; } = null!;

    /// <summary><c>bicep build-params main.bicepparam</c> with TWINE_PROFILE=prod.</summary>
    public BicepRun MainParamsWithProdProfile { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var prodParams = BicepCli.RunAsync(["build-params", "prod.bicepparam", "--stdout"], RepoPaths.Bicep, ParameterEnvironment);
        var mainParams = BicepCli.RunAsync(
            ["build-params", "main.bicepparam", "--stdout"],
            RepoPaths.Bicep,
            new Dictionary<string, string?>(ParameterEnvironment) { ["TWINE_PROFILE"] = "prod" });
        try
        {
            (_resources, _outputs) = await DeploymentFixture.SnapshotAsync(ParameterEnvironment, "prod.bicepparam");
        }
        catch (InvalidOperationException e)
        {
            _failure = e.Message;
        }

        ProdParams = await prodParams;
        MainParamsWithProdProfile = await mainParams;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public IEnumerable<JsonObject> OfType(string type) =>
        Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase));

    public JsonObject Single(string type)
    {
        var matches = OfType(type).ToList();
        Assert.True(matches.Count == 1, $"expected exactly one {type}, found {matches.Count}");
        return matches[0];
    }

    public JsonObject Site => Single("Microsoft.Web/sites");

    public IReadOnlyList<KeyValuePair<string, string>> AppSettings =>
        Site["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .Select(s => new KeyValuePair<string, string>((string)s!["name"]!, (string)s["value"]!))
            .ToList();

    public string? AppSetting(string name) =>
        AppSettings.Where(s => string.Equals(s.Key, name, StringComparison.OrdinalIgnoreCase)).Select(s => s.Value).FirstOrDefault();

    /// <summary>The parameters of a build-params run, name to value.</summary>
    public static JsonObject Parameters(BicepRun run)
    {
        Assert.True(run.ExitCode == 0 && run.Diagnostics.Length == 0, run.ToString());
        return JsonNode.Parse((string)JsonNode.Parse(run.StandardOutput)!["parametersJson"]!)!["parameters"]!.AsObject();
    }
}
