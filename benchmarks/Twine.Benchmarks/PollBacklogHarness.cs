using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Twine.Client;
using Twine.Sandbox;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Ingestions;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Storage;

namespace Twine.Benchmarks;

/// <summary>
/// A backlog of 10,000 email histories: seeds them in the sandbox (one coach, the twelve seeded patients of the
/// organization), runs TwineUpdatesPoller against a real Azurite (started as the test fixture starts it: node, free
/// ports, in memory), and reports time, Twine calls and table writes for the first run and for a run with nothing new.
/// </summary>
public static class PollBacklogHarness
{
    private const string Organization = "58c4554710123c5c40dbab81";
    private const string Coach = "5a0c8e27a9d454cc150997c9";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static async Task<int> RunAsync(string[] args)
    {
        var emails = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
        var pageSizes = args.Length > 2 ? args[2..].Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [50, 200];

        var (azurite, connectionString) = await StartAzuriteAsync();
        try
        {
            Console.WriteLine($"| page size | run | wall time | Twine GETs (email_history + calendar_event) | token requests | rows written | table requests | outcome |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var pageSize in pageSizes)
            {
                await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = 0 });
                var patients = new[] { "5a0c8e27a9d454cc150997f7" }.Concat(Enumerable.Range(1, 11).Select(n => $"5a10000000000000000000{n:x2}")).ToArray();
                sandbox.AddEmailHistories(emails, Coach, patients, DateTimeOffset.UtcNow.AddMinutes(-1), TimeSpan.FromSeconds(30));

                var suffix = Guid.NewGuid().ToString("N")[..8];
                var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["TwineStorage"] = connectionString,
                    ["PollTwineUpdates:Organization"] = Organization,
                    ["PollTwineUpdates:EmailSenders"] = Coach,
                    ["PollTwineUpdates:DiscoverEmailSenders"] = "false", // one coach's backlog, as measured in docs/PERFORMANCE.md
                    ["PollTwineUpdates:PageSize"] = pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["PollTwineUpdates:TimeBudget"] = "00:09:00",
                    ["PollTwineUpdates:EmailHashKey"] = Convert.ToBase64String(new byte[32]),
                    ["PollTwineUpdates:EmailHistoryTable"] = "EmailHistory" + suffix,
                    ["PollTwineUpdates:CalendarEventsTable"] = "CalendarEvents" + suffix,
                    ["PollTwineUpdates:CheckpointsTable"] = "PollCheckpoints" + suffix,
                    ["PollTwineUpdates:EmailRecheckTable"] = "EmailRecheck" + suffix,
                }).Build();
                var services = new ServiceCollection();
                services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
                services.AddTwineClient(options =>
                {
                    options.BaseAddress = sandbox.BaseAddress;
                    options.ClientId = sandbox.ClientId;
                    options.ClientSecret = sandbox.ClientSecret;
                }, resilience =>
                {
                    resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(60);
                    resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(120);
                    resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(120); // at least twice the attempt timeout
                });
                services.AddIngestions(configuration).AddPolling(configuration).AddCalendarEvents().AddEmailHistory();
                await using var provider = services.BuildServiceProvider();
                // What the worker does when it starts: the tables exist before the first poll (StorageProvisioning).
                await provider.GetRequiredService<StorageProvisioning>().CreateAllAsync(CancellationToken.None);
                var poller = provider.GetRequiredService<TwineUpdatesPoller>();

                await MeasureAsync(sandbox, poller, pageSize, "first (backlog)");
                await MeasureAsync(sandbox, poller, pageSize, "second (nothing new)");
            }
        }
        finally
        {
            azurite.Kill(entireProcessTree: true);
            await azurite.WaitForExitAsync();
        }

        return 0;
    }

    private static async Task MeasureAsync(SandboxServer sandbox, TwineUpdatesPoller poller, int pageSize, string run)
    {
        var before = Counts(sandbox);
        var watch = Stopwatch.StartNew();
        var result = await poller.RunAsync(CancellationToken.None);
        watch.Stop();
        var after = Counts(sandbox);
        Console.WriteLine($"| {pageSize} | {run} | {watch.Elapsed.TotalSeconds:F1} s | {after.Gets - before.Gets} | {after.Tokens - before.Tokens} | " +
                          $"{result.RowsWritten:N0} | {result.StorageRequests:N0} (+{result.Streams.Count * 2} checkpoint) | {(result.CaughtUp ? "caught up" : "stopped")} |");
    }

    private static (int Gets, int Tokens) Counts(SandboxServer sandbox) =>
        (sandbox.RequestCount("GET", "/email_history") + sandbox.RequestCount("GET", "/calendar_event"), sandbox.RequestCount("POST", "/oauth/token"));

    /// <summary>Azurite from the repository's node_modules on free loopback ports, in memory (like the test fixture).</summary>
    private static async Task<(Process Process, string ConnectionString)> StartAzuriteAsync()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "node_modules", "azurite", "dist", "src", "azurite.js")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException("Azurite is not installed: run `npm ci` at the repository root.");
        }

        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var l in listeners)
        {
            l.Start();
        }

        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners)
        {
            l.Stop();
        }

        var workspace = Directory.CreateTempSubdirectory("azurite-bench-").FullName;
        var start = new ProcessStartInfo("node") { WorkingDirectory = workspace, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     Path.Combine(root.FullName, "node_modules", "azurite", "dist", "src", "azurite.js"),
                     "--blobHost", "127.0.0.1", "--blobPort", $"{ports[0]}", "--queueHost", "127.0.0.1", "--queuePort", $"{ports[1]}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{ports[2]}", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, ports[2]);
                return (process, $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
                                 $"BlobEndpoint=http://127.0.0.1:{ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports[1]}/devstoreaccount1;" +
                                 $"TableEndpoint=http://127.0.0.1:{ports[2]}/devstoreaccount1;");
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("Azurite did not start within 30 s.");
    }
}
