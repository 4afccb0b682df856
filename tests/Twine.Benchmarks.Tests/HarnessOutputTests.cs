using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Twine.Testing;

namespace Twine.Benchmarks.Tests;

/// <summary>
/// The harnesses' last lines are an interface (issue 15; docs/PERFORMANCE.md): each mode runs here with tiny counts, as
/// `dotnet Twine.Benchmarks.dll &lt;mode&gt; …` in a child process, and every key the docs name must be printed once with a
/// number. Nothing about speed is asserted: counts are checked only where they are facts (a 202 took at least one storage
/// call).
/// </summary>
public sealed partial class HarnessOutputTests
{
    [Fact]
    public async Task Accept_prints_every_figure()
    {
        var figures = await RunAsync(TimeSpan.FromMinutes(3), "accept", "--iterations", "3", "--warmup", "1");

        foreach (var prefix in new[] { "", "_100" })
        {
            foreach (var key in new[] { "storage_calls", "storage_calls_after_answer", "table_calls", "queue_calls", "p50_ms", "p95_ms", "p50_ratio", "p95_ratio" })
            {
                Assert.True(figures.ContainsKey($"accept{prefix}.{key}"), $"accept{prefix}.{key} missing");
            }

            Assert.True(figures.ContainsKey($"raw_enqueue{prefix}.p50_ms"));
            Assert.True(figures.ContainsKey($"raw_enqueue{prefix}.p95_ms"));
            foreach (var key in new[] { "storage_calls", "table_calls", "queue_calls", "twine_calls" })
            {
                Assert.True(figures.ContainsKey($"process{prefix}.{key}"), $"process{prefix}.{key} missing");
            }

            // Counted, not timed: one round trip before the 202 (the row with its kept copies, and the hidden send, at once), at most 3 calls per message.
            Assert.Equal((1, 1), (figures[$"accept{prefix}.table_calls"], figures[$"accept{prefix}.queue_calls"]));
            Assert.InRange(figures[$"process{prefix}.storage_calls"], 1, 3);
            Assert.Equal(figures[$"accept{prefix}.storage_calls"], figures[$"accept{prefix}.table_calls"] + figures[$"accept{prefix}.queue_calls"]);
            Assert.Equal(1, figures[$"process{prefix}.twine_calls"]);
        }
    }

    [Fact]
    public async Task Throughput_prints_every_figure()
    {
        var figures = await RunAsync(TimeSpan.FromMinutes(5), "throughput", "--ingestions", "4", "--rate-limit-ingestions", "4", "--naive-seconds", "0",
            "--freshness-low", "2", "--freshness-low-interval-ms", "50", "--freshness-high", "4");

        foreach (var scenario in new[] { "50ms", "200ms", "200ms_ratelimit" })
        {
            foreach (var key in new[] { $"pipeline_{scenario}_per_s", $"naive1_{scenario}_per_s", $"naive16_{scenario}_per_s", $"ratio_vs_naive1_{scenario}", $"ratio_vs_naive16_{scenario}" })
            {
                Assert.True(figures.ContainsKey("throughput." + key), $"throughput.{key} missing");
                Assert.True(figures["throughput." + key] > 0, $"throughput.{key} is {figures["throughput." + key]}");
            }
        }

        foreach (var key in new[] { "low_p50_ms", "low_p95_ms", "high_p50_ms", "high_p95_ms" })
        {
            Assert.True(figures.ContainsKey("freshness." + key), $"freshness.{key} missing");
            Assert.True(figures["freshness." + key] > 0);
        }
    }

    [Fact]
    public async Task Coldstart_publishes_both_ways_and_prints_every_figure()
    {
        var figures = await RunAsync(TimeSpan.FromMinutes(8), "coldstart", "--runs", "1");

        foreach (var phase in new[] { "start_to_first_202", "start_to_main", "graph", "provision", "first_post", "second_post" })
        {
            Assert.True(figures.ContainsKey($"coldstart.r2r.{phase}_p50_ms"), $"coldstart.r2r.{phase}_p50_ms missing");
            Assert.True(figures.ContainsKey($"coldstart.jit.{phase}_p50_ms"), $"coldstart.jit.{phase}_p50_ms missing");
            Assert.True(figures.ContainsKey($"coldstart.{phase}_ratio"), $"coldstart.{phase}_ratio missing");
        }

        Assert.True(figures["coldstart.r2r.start_to_first_202_p50_ms"] > 0);
    }

    [Fact]
    public async Task Retention_deletes_everything_but_the_in_flight_and_prints_every_figure()
    {
        // 2,000 ingestions, two of them in flight, at most 800 per run: three runs, the harness checks what is left.
        var figures = await RunAsync(TimeSpan.FromMinutes(5), "retention", "2000", "--max-per-run", "800");

        foreach (var key in new[] { "ingestions", "deleted", "kept_in_flight", "seed_s", "wall_s", "per_s", "runs", "longest_run_s", "storage_calls", "storage_calls_per_ingestion" })
        {
            Assert.True(figures.ContainsKey("retention." + key), $"retention.{key} missing");
        }

        Assert.Equal((2000, 1998, 2, 3), (figures["retention.ingestions"], figures["retention.deleted"], figures["retention.kept_in_flight"], figures["retention.runs"]));
        Assert.True(figures["retention.storage_calls_per_ingestion"] >= 1);
    }

    [Fact]
    public async Task Azurite_keys_prints_both_kinds_of_insert_at_each_size()
    {
        var figures = await RunAsync(TimeSpan.FromMinutes(3), "azurite-keys", "--iterations", "5", "--sizes", "0,20");

        foreach (var key in new[] { "0.shared_p50_ms", "0.unique_p50_ms", "20.shared_p50_ms", "20.unique_p50_ms" })
        {
            Assert.True(figures.TryGetValue("azurite_keys." + key, out var value) && value > 0, $"azurite_keys.{key} missing");
        }
    }

    /// <summary>Runs the harness (the benchmark project's build in this test's configuration) and reads its `key: value` lines.</summary>
    private static async Task<Dictionary<string, double>> RunAsync(TimeSpan timeout, params string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        var dll = RepoPaths.InRepo("benchmarks", "Twine.Benchmarks", "bin", configuration, "net10.0", "Twine.Benchmarks.dll");
        Assert.True(File.Exists(dll), dll + " not built");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { dll }.Concat(args))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
            {
                output.AppendLine(line);
            }

            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        TestContext.Current.TestOutputHelper?.WriteLine(output.ToString());
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{output}\n{await stderr}");

        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match match in FigureLine().Matches(output.ToString()))
        {
            Assert.True(figures.TryAdd(match.Groups[1].Value, double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)),
                match.Groups[1].Value + " printed twice");
        }

        return figures;
    }

    [GeneratedRegex(@"^([a-z0-9_]+(?:\.[a-z0-9_]+)+): (-?[0-9]+(?:\.[0-9]+)?|NaN)\r?$", RegexOptions.Multiline)]
    private static partial Regex FigureLine();
}
