using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Twine.Testing;

/// <summary>
/// One real Azurite (from the repository's node_modules, installed by `npm ci`) on free loopback ports chosen once,
/// so it can be stopped and started again on the same endpoints. Data in memory, or on disk in a temp folder so that
/// queued messages and rows survive a restart.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public; documented by Microsoft).</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const int StartAttempts = 300; // x 100 ms: Azurite starts in about a second
    private readonly StringBuilder _output = new();
    private readonly bool _onDisk;
    private readonly string _workspace;
    private readonly int _blobPort;
    private Process? _process;

    public AzuriteProcess(bool onDisk)
    {
        _onDisk = onDisk;
        (_blobPort, QueuePort, TablePort) = FreePorts();
        _workspace = Directory.CreateTempSubdirectory(onDisk ? "azurite-restartable-" : "azurite-tests-").FullName;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{_blobPort}/{AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";
    }

    public string ConnectionString { get; }
    public int QueuePort { get; }
    public int TablePort { get; }
    public bool Running => _process is { HasExited: false };

    public async Task StartAsync()
    {
        var script = Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({script} is missing). Run `npm ci` in {RepoPaths.Root} (scripts/test.sh does that).");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] storage = _onDisk ? ["--location", _workspace] : ["--inMemoryPersistence"];
        foreach (var argument in new[]
                 {
                     script, "--blobHost", "127.0.0.1", "--blobPort", $"{_blobPort}", "--queueHost", "127.0.0.1", "--queuePort", $"{QueuePort}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{TablePort}", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
                 }.Concat(storage))
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        int[] ports = [_blobPort, QueuePort, TablePort];
        for (var attempt = 0; attempt < StartAttempts; attempt++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening:\n{Output()}");
            }

            if (await AllAcceptAsync(ports))
            {
                return;
            }

            await Task.Delay(100); // a real external process starting: a bounded poll
        }

        throw new InvalidOperationException($"Azurite did not listen on ports {string.Join(", ", ports)} within {StartAttempts / 10} s:\n{Output()}");
    }

    /// <summary>Stops Azurite as an operator or a platform restart would (SIGTERM, so it saves its data), and waits for it.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_workspace, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private static async Task<bool> AllAcceptAsync(int[] ports)
    {
        foreach (var port in ports)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
            }
            catch (SocketException)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Three distinct free ports: listeners on port 0, all held open until every port is known.</summary>
    private static (int Blob, int Queue, int Table) FreePorts()
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[0], ports[1], ports[2]);
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }
}
