using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Twine.Functions.Tests.Infrastructure;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// An Azurite of its own (not the assembly's shared one) that a test can stop and start again: fixed free ports, and
/// its data in a temp <c>--location</c> folder on disk, so queued messages and table rows survive the restart. Stop
/// asks Azurite to shut down (SIGTERM: it saves its metadata) and waits for the process to exit.
/// </summary>
public sealed class RestartableAzurite : IAsyncLifetime
{
    private const int StartAttempts = 300; // x 100 ms
    private readonly StringBuilder _output = new();
    private Process? _process;
    private string _location = "";
    private int _blobPort;

    public string ConnectionString { get; private set; } = "";
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }
    public bool Running => _process is { HasExited: false };

    public async ValueTask InitializeAsync()
    {
        (_blobPort, QueuePort, TablePort) = FreePorts();
        _location = Directory.CreateTempSubdirectory("azurite-restartable-").FullName;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{_blobPort}/{AzuriteFixture.AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AzuriteFixture.AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{TablePort}/{AzuriteFixture.AccountName};";
        await StartAsync();
    }

    public async Task StartAsync()
    {
        var script = Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _location,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     script, "--blobHost", "127.0.0.1", "--blobPort", $"{_blobPort}", "--queueHost", "127.0.0.1", "--queuePort", $"{QueuePort}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{TablePort}", "--location", _location,
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

        for (var attempt = 0; attempt < StartAttempts; attempt++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening:\n{Output()}");
            }

            if (await AcceptsAsync(QueuePort) && await AcceptsAsync(TablePort) && await AcceptsAsync(_blobPort))
            {
                return;
            }

            await Task.Delay(100); // a real external process starting: bounded poll
        }

        throw new InvalidOperationException($"Azurite did not listen within {StartAttempts / 10} s:\n{Output()}");
    }

    /// <summary>Stops Azurite as an operator or a platform restart would (SIGTERM), and waits until its ports are closed.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
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
            Directory.Delete(_location, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

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
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
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
