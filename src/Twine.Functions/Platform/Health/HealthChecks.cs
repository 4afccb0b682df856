using Microsoft.Extensions.Diagnostics.HealthChecks;
using Twine.Client.Auth;
using Twine.Client.Errors;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Platform.Health;

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
