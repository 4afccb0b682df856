namespace Twine.Testing;

/// <summary>Finds files of the repository and of the function app's build output from the test's folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The test output holds a copy of the function app's output (host.json, functions.metadata, worker.config.json).</summary>
    public static string BuildOutput(string fileName) => Path.Combine(AppContext.BaseDirectory, fileName);

    /// <summary>The Bicep templates.</summary>
    public static string Bicep { get; } = Path.Combine(Root, "infra", "bicep");

    public static string InRepo(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Twine.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Twine.Functions.sln not found above " + AppContext.BaseDirectory);
    }
}
