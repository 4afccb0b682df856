using System.Text.Json.Nodes;

[assembly: AssemblyFixture(typeof(Twine.Infra.Tests.DeploymentFixture))]

namespace Twine.Infra.Tests;

/// <summary>
/// What a deployment of infra/bicep/main.bicep with main.bicepparam (the dev environment) would create, worked out
/// once per test run by <c>bicep snapshot</c>: every resource with the parameters, variables, loops and names
/// evaluated (values known only in Azure, such as the identity's client id, stay ARM expressions). Also the
/// template compiled to ARM JSON, for checks over the whole text.
/// </summary>
public sealed class DeploymentFixture : IAsyncLifetime
{
    public const string SubscriptionId = "00000000-0000-0000-0000-0000000000aa";
    public const string TenantId = "00000000-0000-0000-0000-0000000000bb";
    public const string ResourceGroup = "rg-twine-dev";
    public const string Location = "westeurope";
    public const string EnvironmentName = "dev";
    public const string TwineOrganization = "58c4554710123c5c40dbab81";
    public const string WebhookPartner = "acme";

    /// <summary>The variables main.bicepparam reads, as azd would pass them.</summary>
    public static IReadOnlyDictionary<string, string?> ParameterEnvironment { get; } = new Dictionary<string, string?>
    {
        ["AZURE_ENV_NAME"] = EnvironmentName,
        ["AZURE_LOCATION"] = Location,
        ["TWINE_ORGANIZATION"] = TwineOrganization,
        ["TWINE_WEBHOOK_PARTNERS"] = WebhookPartner,
    };

    private string? _workDir;
    private IReadOnlyList<JsonObject>? _resources;
    private JsonObject? _outputs;
    private string? _compiledTemplate;
    private string? _failure;

    /// <summary>The evaluated resources, in the order ARM would list them.</summary>
    public IReadOnlyList<JsonObject> Resources => _resources ?? throw Unavailable();

    /// <summary>The template's outputs, evaluated as far as possible.</summary>
    public JsonObject Outputs => _outputs ?? throw Unavailable();

    /// <summary>main.bicep compiled to ARM JSON (bicep build), modules inlined as nested deployments.</summary>
    public string CompiledTemplate => _compiledTemplate ?? throw Unavailable();

    /// <summary>One <c>bicep build --pattern **/*.bicep</c> over every template (one process for all files).</summary>
    public BicepRun Build { get; private set; } = null!;

    /// <summary>One <c>bicep lint --pattern **/*.bicep</c> over every template.</summary>
    public BicepRun Lint { get; private set; } = null!;

    /// <summary>Where <see cref="Build"/> wrote the ARM JSON of each template (same relative paths, .json).</summary>
    public string BuildOutput => Path.Combine(_workDir!, "out");

    /// <summary>The copy of infra/bicep the fixture works on; diagnostics name files under it.</summary>
    public string WorkDirectory => _workDir!;

    /// <summary>main.bicepparam compiled (bicep build-params).</summary>
    public BicepRun ParamsBuild { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // bicep snapshot writes main.snapshot.json beside the parameter file: work on a copy, not in the repository.
        _workDir = CopyOfTemplates();

        // The checks of the deployment's content read a snapshot and a compiled template made with the linter off,
        // so that a lint finding fails the lint tests only, not every test.
        var relaxed = await RelaxedConfigAsync(_workDir);
        var snapshotTask = SnapshotAsync(_workDir, ParameterEnvironment);
        var compileTask = BicepCli.RunAsync(["build", "main.bicep", "--stdout", "--config", relaxed], _workDir);
        var buildTask = BicepCli.RunAsync(["build", "--pattern", "**/*.bicep", "--outdir", "out"], _workDir);
        var lintTask = BicepCli.RunAsync(["lint", "--pattern", "**/*.bicep"], _workDir);
        var paramsTask = BicepCli.RunAsync(["build-params", "main.bicepparam", "--stdout"], _workDir, ParameterEnvironment);

        Build = await buildTask;
        Lint = await lintTask;
        ParamsBuild = await paramsTask;
        try
        {
            (_resources, _outputs) = await snapshotTask;
        }
        catch (InvalidOperationException e)
        {
            _failure = e.Message;
        }

        var compile = await compileTask;
        if (compile.ExitCode == 0)
        {
            _compiledTemplate = compile.StandardOutput;
        }
        else
        {
            _failure ??= "bicep build main.bicep failed: " + compile;
        }
    }

    /// <summary>
    /// Evaluates a deployment of a copy of infra/bicep with <paramref name="parameterFile"/> (main.bicepparam unless
    /// named) read under <paramref name="environment"/>.
    /// </summary>
    public static async Task<(IReadOnlyList<JsonObject> Resources, JsonObject Outputs)> SnapshotAsync(
        IReadOnlyDictionary<string, string?> environment,
        string parameterFile = "main.bicepparam")
    {
        var dir = CopyOfTemplates();
        try
        {
            return await SnapshotAsync(dir, environment, parameterFile);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Like <see cref="SnapshotAsync(IReadOnlyDictionary{string, string?}, string)"/>, but returns the failed run instead of throwing.</summary>
    public static async Task<BicepRun> TrySnapshotAsync(IReadOnlyDictionary<string, string?> environment, string parameterFile = "main.bicepparam")
    {
        var dir = CopyOfTemplates();
        try
        {
            var config = await RelaxedConfigAsync(dir);
            return await BicepCli.RunAsync(SnapshotArguments(parameterFile, config), dir, environment);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string[] SnapshotArguments(string parameterFile, string config) =>
    [
        "snapshot", parameterFile, "--mode", "overwrite", "--config", config,
        "--subscription-id", SubscriptionId, "--tenant-id", TenantId,
        "--resource-group", ResourceGroup, "--location", Location, "--deployment-name", "main",
    ];

    internal static async Task<(IReadOnlyList<JsonObject> Resources, JsonObject Outputs)> SnapshotAsync(
        string dir,
        IReadOnlyDictionary<string, string?> environment,
        string parameterFile = "main.bicepparam")
    {
        var config = await RelaxedConfigAsync(dir);
        var snapshot = await BicepCli.RunAsync(SnapshotArguments(parameterFile, config), dir, environment);
        if (snapshot.ExitCode != 0)
        {
            throw new InvalidOperationException("bicep snapshot failed: " + snapshot);
        }

        var document = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir, Path.ChangeExtension(parameterFile, ".snapshot.json"))))!.AsObject();
        var diagnostics = document["diagnostics"]?.AsArray();
        if (diagnostics is { Count: > 0 })
        {
            throw new InvalidOperationException("bicep snapshot reported: " + diagnostics.ToJsonString());
        }

        return (
            document["predictedResources"]!.AsArray().Select(r => r!.AsObject()).ToList(),
            document["outputs"]?.AsObject() ?? []);
    }

    public ValueTask DisposeAsync()
    {
        if (_workDir is not null && Directory.Exists(_workDir))
        {
            Directory.Delete(_workDir, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    public IEnumerable<JsonObject> OfType(string type) =>
        Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase));

    public JsonObject Single(string type)
    {
        var matches = OfType(type).ToList();
        Assert.True(matches.Count == 1, $"expected exactly one {type}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>Last segment of a resource's (evaluated) name: "st123/default/Ingestions" gives "Ingestions".</summary>
    public static string ShortName(JsonObject resource) => ((string)resource["name"]!).Split('/')[^1];

    public JsonObject Site => Single("Microsoft.Web/sites");

    /// <summary>The function app's app settings, name to value, in template order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> AppSettings =>
        Site["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .Select(s => new KeyValuePair<string, string>((string)s!["name"]!, (string)s["value"]!))
            .ToList();

    public string? AppSetting(string name) =>
        AppSettings.Where(s => string.Equals(s.Key, name, StringComparison.OrdinalIgnoreCase))
            .Select(s => s.Value)
            .FirstOrDefault();

    private InvalidOperationException Unavailable() =>
        new("The template could not be evaluated, see the build tests: " + _failure);

    internal static async Task<string> RelaxedConfigAsync(string dir)
    {
        var config = Path.Combine(dir, "relaxed-bicepconfig.json");
        if (File.Exists(config))
        {
            return config;
        }

        await File.WriteAllTextAsync(config, """{ "analyzers": { "core": { "enabled": false } } }""");
        return config;
    }

    internal static string CopyOfTemplates()
    {
        var dir = Directory.CreateTempSubdirectory("twine-infra-").FullName;
        CopyDirectory(RepoPaths.Bicep, dir);
        return dir;
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)));
        }

        // Templates, parameter files, bicepconfig.json and what the templates load (workbooks/*.json); not snapshots.
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(".snapshot.json", StringComparison.Ordinal))
            {
                continue;
            }

            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)), overwrite: true);
        }
    }
}
