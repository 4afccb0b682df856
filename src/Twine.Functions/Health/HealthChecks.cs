using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Twine.Client.Auth;
using Twine.Client.Errors;
using Twine.Functions.Ingestion.Queues;
using Twine.Functions.Secrets;
using Twine.Functions.Storage;

namespace Twine.Functions.Health;

/// <summary>Tables and queues answer: a point read on Ingestions and an existence check on both queues.</summary>
public sealed class StorageHealthCheck(StorageTables tables, IngestionQueues queues) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // A point read of a row that never exists: cheap, and it proves the table endpoint and our access to it.
            await tables.Ingestions.GetEntityIfExistsAsync<TableEntity>("health", "probe", ["PartitionKey"], cancellationToken);
            var metrics = await queues.Metrics.ExistsAsync(cancellationToken);
            var calendar = await queues.CalendarEvents.ExistsAsync(cancellationToken);
            return HealthCheckResult.Healthy(
                $"tables reachable; queues reachable ({queues.Metrics.Name}: {(metrics.Value ? "exists" : "not created yet")}, " +
                $"{queues.CalendarEvents.Name}: {(calendar.Value ? "exists" : "not created yet")})");
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The Ingestions table is created with the first ingestion; the service itself answered.
            return HealthCheckResult.Healthy("storage reachable; tables not created yet");
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"storage unreachable: {Describe(ex)}");
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        RequestFailedException { Status: > 0 } r => $"{r.Status} {r.ErrorCode}",
        _ => ex.GetType().Name,
    };
}

/// <summary>Twine's client id and secret can be read (Key Vault or settings). Says where from, never what.</summary>
public sealed class TwineCredentialsHealthCheck(ITwineCredentialsProvider credentials) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var source = credentials is KeyVaultTwineCredentialsProvider ? "Key Vault" : "app settings";
        try
        {
            await credentials.GetCredentialsAsync(refresh: false, cancellationToken);
            return HealthCheckResult.Healthy($"Twine credentials readable from {source}");
        }
        catch (SecretUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message); // names vault and secret, never a value
        }
        catch (InvalidOperationException ex)
        {
            return HealthCheckResult.Unhealthy($"Twine credentials not configured in {source}: {ex.Message}");
        }
    }
}

/// <summary>Twine issues a token for those credentials (the cached one counts: it was issued for them).</summary>
public sealed class TwineTokenHealthCheck(ITwineTokenProvider tokens) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await tokens.GetAccessTokenAsync(cancellationToken);
            return HealthCheckResult.Healthy("Twine token obtainable");
        }
        catch (TwineApiException ex)
        {
            return HealthCheckResult.Unhealthy($"Twine token not obtainable: {ex.Message}");
        }
        catch (Exception ex) when (ex is SecretUnavailableException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("Twine token not obtainable: credentials unavailable");
        }
    }
}
