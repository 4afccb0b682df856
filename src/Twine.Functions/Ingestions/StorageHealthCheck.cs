using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Ingestions;

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
