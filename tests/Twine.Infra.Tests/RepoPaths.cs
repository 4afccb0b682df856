namespace Twine.Infra.Tests;

/// <summary>Files of the repository, found from the test's folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

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
