using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Twine.Infra.Tests;

/// <summary>The result of one run of the Bicep CLI.</summary>
public sealed record BicepRun(string Arguments, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Every line Bicep wrote to standard error: its diagnostics ("file(line,col) : Warning rule: ...").</summary>
    public string[] Diagnostics { get; } =
        StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() =>
        $"bicep {Arguments} exited {ExitCode}{Environment.NewLine}{StandardError}{StandardOutput}";
}

/// <summary>
/// Runs the Bicep CLI that the build restored from the NuGet package Azure.Bicep.CommandLine.linux-x64
/// (a PackageDownload of this project; its version is the project's BicepCliVersion property). Nothing is
/// downloaded at test time and the templates reference no registry modules, so this works offline.
/// </summary>
internal static class BicepCli
{
    private const string PackageId = "azure.bicep.commandline.linux-x64";
    private static readonly Lazy<string> Executable = new(FindExecutable);

    // Two cores on CI: a few Bicep processes at a time, not one per test.
    private static readonly SemaphoreSlim Slots = new(Math.Max(2, Environment.ProcessorCount));

    public static string Path => Executable.Value;

    public static async Task<BicepRun> RunAsync(
        IReadOnlyList<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(Executable.Value)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The parameter files read AZURE_* and TWINE_* variables; pin them so that the machine's environment cannot
        // change a result.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AZURE_", StringComparison.Ordinal) || k.StartsWith("TWINE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        await Slots.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 2 minutes.");
            }

            return new BicepRun(string.Join(' ', arguments), process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            Slots.Release();
        }
    }

    private static string FindExecutable()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"The infrastructure tests run the Bicep CLI from {PackageId}, which is built for linux-x64 only.");
        }

        var assembly = typeof(BicepCli).Assembly;
        var version = Metadata(assembly, "BicepCliVersion")
            ?? throw new InvalidOperationException("BicepCliVersion is missing from the test assembly's metadata.");

        var roots = new[]
            {
                Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
                Metadata(assembly, "NuGetPackageRoot"),
                System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            }
            .Where(r => !string.IsNullOrWhiteSpace(r))
            .Select(r => System.IO.Path.Combine(r!, PackageId, version))
            .ToList();

        foreach (var packageDir in roots.Where(Directory.Exists))
        {
            var executable = Directory
                .EnumerateFiles(packageDir, "bicep", SearchOption.AllDirectories)
                .FirstOrDefault();
            if (executable is null)
            {
                continue;
            }

            var mode = File.GetUnixFileMode(executable);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(executable, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }

            return executable;
        }

        throw new FileNotFoundException(
            $"The Bicep CLI ({PackageId} {version}) was not found in: {string.Join(", ", roots)}. " +
            "Restore the solution first (dotnet restore Twine.Functions.sln): tests/Twine.Infra.Tests downloads it.");
    }

    private static string? Metadata(Assembly assembly, string key) =>
        assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}
