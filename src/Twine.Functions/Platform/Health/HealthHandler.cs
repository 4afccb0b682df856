using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Twine.Functions.Platform.Health;

/// <summary>GET /api/health: every check, a line each; 200 when all are healthy, 503 otherwise.</summary>
public sealed partial class HealthHandler(HealthCheckService checks, ILogger<HealthHandler> logger)
{
    public async Task<IResult> HandleAsync(CancellationToken cancellationToken)
    {
        var report = await checks.CheckHealthAsync(cancellationToken);
        var healthy = report.Status == HealthStatus.Healthy;
        var body = new HealthResponse(
            healthy ? "healthy" : "unhealthy",
            [.. report.Entries.Select(e => new HealthCheckLine(
                e.Key,
                e.Value.Status == HealthStatus.Healthy ? "healthy" : "unhealthy",
                e.Value.Description ?? e.Value.Exception?.GetType().Name ?? "",
                Math.Round(e.Value.Duration.TotalMilliseconds)))]);

        foreach (var line in body.Checks.Where(c => c.Status != "healthy"))
        {
            Log.CheckFailed(logger, line.Name);
        }

        return Results.Json(body, HealthJsonContext.Default.HealthResponse, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Health check {CheckName} failed")]
        public static partial void CheckFailed(ILogger logger, string checkName);
    }
}

public sealed record HealthResponse(string Status, IReadOnlyList<HealthCheckLine> Checks);

public sealed record HealthCheckLine(string Name, string Status, string Description, double DurationMs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
