using System.Diagnostics;
using System.Globalization;
using Twine.Testing;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// <c>coldstart [--runs N] [--published-r2r DIR --published-jit DIR]</c>: publishes src/Twine.Functions twice (as azd
/// deploys it: ReadyToRun; and with -p:PublishReadyToRun=false) unless given the folders, then starts, alternating, a
/// fresh process per run that loads the published assemblies (the probe Twine.ColdStart.dll, copied into the folder and
/// run with the folder's Twine.Functions.deps.json and runtimeconfig.json), builds the service graph, creates the tables
/// and queues and handles a first signed POST /api/metrics against Azurite. Timed from Process.Start to the probe's
/// <c>first_202</c> line, plus the probe's own phases. Not the Functions host: its start, the gRPC channel to the worker
/// and the HTTP pipeline in front of the handler are not in these figures.
/// </summary>
public static class ColdStartHarness
{
    private const string Probe = "Twine.ColdStart.dll";

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = Figures.Option(args, "runs", 10);
        var r2r = Figures.Option(args, "published-r2r");
        var jit = Figures.Option(args, "published-jit");
        string? temp = null;
        if (r2r is null || jit is null)
        {
            temp = Directory.CreateTempSubdirectory("twine-coldstart-").FullName;
            r2r = Path.Combine(temp, "r2r");
            jit = Path.Combine(temp, "jit");
            await PublishAsync(r2r, []);
            await PublishAsync(jit, ["-p:PublishReadyToRun=false"]);
        }

        try
        {
            var figures = new Figures();
            await using var azurite = await BenchApp.StartAzuriteAsync();
            var variants = new[] { ("r2r", r2r), ("jit", jit) };
            foreach (var (_, folder) in variants)
            {
                File.Copy(Path.Combine(AppContext.BaseDirectory, Probe), Path.Combine(folder, Probe), overwrite: true);
            }

            Console.WriteLine($"cold start: {runs} fresh processes per variant, alternating; ReadyToRun code in Twine.Functions.dll: " +
                              $"r2r {new FileInfo(Path.Combine(r2r, "Twine.Functions.dll")).Length / 1024} KiB, jit {new FileInfo(Path.Combine(jit, "Twine.Functions.dll")).Length / 1024} KiB");
            await RunProbeAsync(jit, azurite.ConnectionString); // one unreported run each: the disk cache is warm for both
            await RunProbeAsync(r2r, azurite.ConnectionString);
            var results = variants.ToDictionary(v => v.Item1, _ => new List<Dictionary<string, double>>());
            for (var i = 0; i < runs; i++)
            {
                foreach (var (name, folder) in i % 2 == 0 ? variants : variants.Reverse())
                {
                    results[name].Add(await RunProbeAsync(folder, azurite.ConnectionString));
                }
            }

            string[] phases = ["start_to_first_202", "start_to_main", "graph", "provision", "first_post", "second_post"];
            foreach (var (name, _) in variants)
            {
                Console.WriteLine($"  {name}: " + string.Join(", ", phases.Select(p => $"{p} p50 {Figures.Percentile([.. results[name].Select(r => r[p])], 50):F0} ms")));
            }

            foreach (var phase in phases)
            {
                foreach (var (name, _) in variants)
                {
                    figures.Add($"coldstart.{name}.{phase}_p50_ms", Figures.Percentile([.. results[name].Select(r => r[phase])], 50), 1);
                }

                figures.Add($"coldstart.{phase}_ratio",
                    Figures.Percentile([.. results["r2r"].Select(r => r[phase])], 50) / Figures.Percentile([.. results["jit"].Select(r => r[phase])], 50));
            }

            figures.Add("coldstart.runs", runs);
            figures.Print();
            return 0;
        }
        finally
        {
            if (temp is not null)
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static async Task PublishAsync(string output, string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "publish", RepoPaths.InRepo("src", "Twine.Functions", "Twine.Functions.csproj"), "-c", "Release", "-o", output, "--nologo" }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        Console.WriteLine($"dotnet {string.Join(' ', start.ArgumentList)}");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }
    }

    /// <summary>One fresh process: its phases in ms (start_to_* measured here, the rest by the probe from its Main).</summary>
    private static async Task<Dictionary<string, double>> RunProbeAsync(string folder, string connectionString)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        foreach (var argument in new[]
                 {
                     "exec", "--depsfile", Path.Combine(folder, "Twine.Functions.deps.json"), "--runtimeconfig", Path.Combine(folder, "Twine.Functions.runtimeconfig.json"),
                     Path.Combine(folder, Probe), connectionString,
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var result = new Dictionary<string, double>();
        var startedUtc = DateTime.UtcNow;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line.StartsWith("first_202_ms:", StringComparison.Ordinal))
            {
                result["start_to_first_202"] = watch.Elapsed.TotalMilliseconds;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && double.TryParse(line[(colon + 1)..], CultureInfo.InvariantCulture, out var value))
            {
                result[line[..colon]] = value;
            }
        }

        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !result.ContainsKey("start_to_first_202"))
        {
            throw new InvalidOperationException($"The cold-start probe failed ({process.ExitCode}):\n{string.Join('\n', lines)}\n{await stderr}");
        }

        result["start_to_main"] = (new DateTime((long)result["main_utc_ticks"], DateTimeKind.Utc) - startedUtc).TotalMilliseconds;
        result["graph"] = result["graph_ms"];
        result["provision"] = result["provisioned_ms"] - result["graph_ms"];
        result["first_post"] = result["first_post_ms"];
        result["second_post"] = result["second_post_ms"];
        return result;
    }
}
