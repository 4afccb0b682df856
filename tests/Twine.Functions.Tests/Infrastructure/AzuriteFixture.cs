using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Twine.Functions.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(AzuriteFixture))]

namespace Twine.Functions.Tests.Infrastructure;

/// <summary>
/// The real Azurite (from the repository's node_modules, installed by `npm ci`) on free loopback ports with
/// in-memory storage, shared by every test of the assembly. Tests isolate themselves with unique table and
/// queue names, so they can run in parallel.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account key (public; documented by Microsoft).</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const int StartAttempts = 300; // x 100 ms: Azurite starts in about a second
    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _workspace;

    public string ConnectionString { get; private set; } = "";
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var script = Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({script} is missing). Run `npm ci` in {RepoPaths.Root} (scripts/test.sh does that).");
        }

        var (blobPort, queuePort, tablePort) = FreePorts();
        QueuePort = queuePort;
        TablePort = tablePort;
        _workspace = Directory.CreateTempSubdirectory("azurite-tests-").FullName;
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     script, "--blobHost", "127.0.0.1", "--blobPort", $"{blobPort}", "--queueHost", "127.0.0.1", "--queuePort", $"{queuePort}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{tablePort}", "--inMemoryPersistence",
                     "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitUntilListeningAsync([blobPort, queuePort, tablePort]);
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (_workspace is not null)
        {
            try
            {
                Directory.Delete(_workspace, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
        }
    }

    private async Task WaitUntilListeningAsync(int[] ports)
    {
        for (var attempt = 0; attempt < StartAttempts; attempt++)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening:\n{Output()}");
            }

            if (await AllAcceptAsync(ports))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"Azurite did not listen on ports {string.Join(", ", ports)} within {StartAttempts / 10} s:\n{Output()}");
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
