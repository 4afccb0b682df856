using Microsoft.Extensions.Configuration;

namespace Twine.Sandbox.Hosting;

/// <summary>`dotnet run --project src/Twine.Sandbox [-- --port 5099 ...]`.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var config = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args, new Dictionary<string, string>
            {
                ["--port"] = "Sandbox:Port",
                ["--host"] = "Sandbox:Host",
                ["--client-id"] = "Sandbox:ClientId",
                ["--client-secret"] = "Sandbox:ClientSecret",
                ["--second-client-id"] = "Sandbox:SecondClientId",
                ["--second-client-secret"] = "Sandbox:SecondClientSecret",
                ["--token-lifetime"] = "Sandbox:TokenLifetime",
                ["--seed-file"] = "Sandbox:SeedFile",
                ["--latency"] = "Sandbox:Latency",
                ["--latency-per-item"] = "Sandbox:LatencyPerItem",
                ["--latency-jitter"] = "Sandbox:LatencyJitter",
                ["--rate-limit"] = "Sandbox:RateLimit",
                ["--rate-limit-window"] = "Sandbox:RateLimitWindow",
            })
            .Build()
            .GetSection("Sandbox");

        SandboxOptions options;
        try
        {
            options = new SandboxOptions().Configure(config);
            options.Validate();
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            await Console.Error.WriteLineAsync("Invalid sandbox setting: " + e.Message);
            return 2;
        }

        await using var server = await SandboxServer.StartAsync(options, quiet: false, CancellationToken.None);
        // Local sandbox credentials only (not patient data): printing them is the point.
        Console.WriteLine($"Twine sandbox listening on {server.BaseAddress}");
        Console.WriteLine($"  organization {server.OrganizationId}: client id {server.ClientId}, client secret {server.ClientSecret}");
        if (server.SecondOrganizationId is not null)
        {
            Console.WriteLine($"  organization {server.SecondOrganizationId}: client id {server.SecondClientId}, client secret {server.SecondClientSecret}");
        }

        Console.WriteLine($"  controls:      {server.RootAddress}_sandbox/   (Ctrl+C to stop)");
        await server.WaitForShutdownAsync();
        return 0;
    }
}
