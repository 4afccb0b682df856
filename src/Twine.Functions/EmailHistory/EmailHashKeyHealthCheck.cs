using Microsoft.Extensions.Diagnostics.HealthChecks;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.EmailHistory;

/// <summary>
/// The email hash key can be read where it is configured. Unhealthy only stops email-history polling (addresses are
/// never stored unhashed); it names the vault and secret, never the key.
/// </summary>
public sealed class EmailHashKeyHealthCheck(EmailAddressHasher hasher) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var key = await hasher.GetKeyAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(key.Bytes is null
                ? "no email hash key configured: email addresses are not stored"
                : $"email hash key readable from {hasher.Source}");
        }
        catch (SecretUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy($"email history not polled: {ex.Message}");
        }
    }
}
