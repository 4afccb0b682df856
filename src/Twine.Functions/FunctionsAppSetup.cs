using Azure.Identity;
using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Twine.Client;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Fhir;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Processing;
using Twine.Functions.Metrics;
using Twine.Functions.Platform.Health;
using Twine.Functions.Platform.Hosting;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions;

/// <summary>
/// Everything Program.cs wires up, in one place so that tests can build the same host without the Functions runtime.
/// </summary>
public static class FunctionsAppSetup
{
    // The Application Insights logger provider registers a rule that keeps only Warning and above.
    private const string ApplicationInsightsProvider =
        "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider";

    public static FunctionsApplicationBuilder AddTwineFunctions(this FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();

        // Azure SDK and HttpClient request lines at Warning, the app's own at Information; any Logging:LogLevel setting overrides.
        DefaultLogLevels.AddTo(builder.Configuration);

        builder.Services
            .AddApplicationInsightsTelemetryWorkerService()
            .ConfigureFunctionsApplicationInsights();

        // Remove the SDK's default Warning-only filter so the app's Information logs (ids, counts, req_ids) arrive.
        builder.Services.Configure<LoggerFilterOptions>(options =>
        {
            var rule = options.Rules.FirstOrDefault(r => r.ProviderName == ApplicationInsightsProvider);
            if (rule is not null)
            {
                options.Rules.Remove(rule);
            }
        });

        // Application Insights has local authentication off in Azure: the worker's own telemetry must carry the app's
        // identity too (the host reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING itself, the worker SDK does not).
        if (ManagedIdentityClientId(builder.Configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]) is { } clientId)
        {
            builder.Services.Configure<TelemetryConfiguration>(telemetry =>
                telemetry.SetAzureTokenCredential(new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))));
        }

        builder.Services.AddTwineFunctionServices(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Every capability's services, without the Functions host's own (tests build the app from this, with their settings).
    /// The one place that knows all capabilities; each capability's Add method registers only what it owns.
    /// </summary>
    public static IServiceCollection AddTwineFunctionServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        // Credentials first: with TwineSecrets:VaultUri set they come from Key Vault, else from Twine:ClientId/ClientSecret.
        services.AddTwineSecrets(configuration);
        services.AddTwineClient(configuration.GetSection(TwineClientOptions.SectionName));

        // Shared: storage (connection "TwineStorage", names in section "Storage"), partner signatures, the acceptor, the
        // ingestion store and status; the queue side's retries and poison handling; the PollTwineUpdates timer.
        services.AddIngestions(configuration);
        services.AddProcessing(configuration);
        services.AddPolling(configuration);

        // The capabilities; the calendar poller runs before the email-history poller (registration order).
        services.AddPatientHealthMetrics();
        services.AddCalendarEvents();
        services.AddEmailHistory();
        services.AddFhir(configuration); // the FHIR R4 facade over the metrics and calendar-event routes
        services.AddHealthEndpoint();
        return services;
    }

    /// <summary>The client id in "ClientId=...;Authorization=AAD", the form Functions documents for identity-based App Insights.</summary>
    public static string? ManagedIdentityClientId(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString))
        {
            return null;
        }

        var parts = authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        return parts.TryGetValue("Authorization", out var authorization) && authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase)
               && parts.TryGetValue("ClientId", out var clientId) && !string.IsNullOrWhiteSpace(clientId)
            ? clientId
            : null;
    }
}
