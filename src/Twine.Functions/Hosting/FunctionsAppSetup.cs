using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Twine.Client;
using Twine.Functions.Health;
using Twine.Functions.Ingestion;
using Twine.Functions.Secrets;

namespace Twine.Functions.Hosting;

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

        builder.Services.AddSingleton(TimeProvider.System);

        // Credentials first: with TwineSecrets:VaultUri set they come from Key Vault, else from Twine:ClientId/ClientSecret.
        builder.Services.AddTwineSecrets(builder.Configuration);
        builder.Services.AddTwineClient(builder.Configuration.GetSection(TwineClientOptions.SectionName));

        // Webhook edge, queues and tables (connection "TwineStorage", names in section "Storage").
        builder.Services.AddIngestion(builder.Configuration);
        builder.Services.AddHealthEndpoint();
        return builder;
    }
}
