using System.Globalization;
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
            })
            .Build()
            .GetSection("Sandbox");

        var options = new SandboxOptions();
        try
        {
            if (config["Port"] is { } port) options.Port = int.Parse(port, CultureInfo.InvariantCulture);
            if (config["Host"] is { } host) options.Host = host;
            if (config["ClientId"] is { } id) options.ClientId = id;
            if (config["ClientSecret"] is { } secret) options.ClientSecret = secret;
            if (config["SecondClientId"] is { } secondId) options.SecondClientId = secondId;
            if (config["SecondClientSecret"] is { } secondSecret) options.SecondClientSecret = secondSecret;
            if (config["TokenLifetime"] is { } lifetime) options.TokenLifetime = TimeSpan.Parse(lifetime, CultureInfo.InvariantCulture);
            if (config["SeedFile"] is { } seed) options.SeedFile = Path.GetFullPath(seed);
        }
        catch (FormatException e)
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
