using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client;
using Twine.Client.Models;
using Twine.Client.Paging;
using Twine.Client.Queries;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions.Poison;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// The app as the host wires the queue side: the ingestion edge (TestApp, on Azurite), the Twine client pointed at the
/// sandbox over loopback HTTP (no client retries: the host's redelivery is what these tests exercise), and AddProcessing.
/// Messages are taken from the Azurite queue and handed to the processors as the trigger would: base64-decoded text.
/// </summary>
internal static class ProcessingApp
{
    /// <summary>A seeded sandbox patient with no seeded metrics.</summary>
    public const string PatientId = "5a1000000000000000000003";

    /// <param name="configure">More settings (e.g. a partner's FHIR settings).</param>
    public static TestApp Create(AzuriteFixture azurite, SandboxServer sandbox, Action<IServiceCollection>? services = null,
        Action<Dictionary<string, string?>>? configure = null) =>
        new(azurite, sandbox: sandbox, configure: settings =>
        {
            configure?.Invoke(settings);
            settings["Twine:EnableRetries"] = "false";
            settings["Twine:Resilience:AttemptTimeout:Timeout"] = "00:00:20";
            settings["Twine:Resilience:TotalRequestTimeout:Timeout"] = "00:00:30";
            settings["Twine:Resilience:CircuitBreaker:SamplingDuration"] = "00:00:40"; // at least twice the attempt timeout
        }, register: (collection, _) =>
        {
            collection.AddRecordingRetryQueue();
            services?.Invoke(collection); // e.g. a credentials provider, registered after the app's own
        });

    public static MetricsMessageProcessor MetricsProcessor(this TestApp app) => app.Services.GetRequiredService<MetricsMessageProcessor>();

    public static CalendarEventMessageProcessor CalendarProcessor(this TestApp app) => app.Services.GetRequiredService<CalendarEventMessageProcessor>();

    public static PoisonMessageHandler PoisonHandler(this TestApp app) => app.Services.GetRequiredService<PoisonMessageHandler>();

    public static ITwineClient Twine(this TestApp app) => app.Services.GetRequiredService<ITwineClient>();

    /// <summary>Metrics for <see cref="PatientId"/>: the edge's test bodies, moved to a patient the sandbox knows.</summary>
    public static JsonObject Metrics(int count)
    {
        var body = Bodies.Metrics(count);
        foreach (var metric in body["data"]!.AsArray())
        {
            metric!["relationships"]!["patient"]!["data"]!["id"] = PatientId;
        }

        return body;
    }

    /// <summary>The queue's messages, decoded as the trigger decodes them, in message order for metrics.</summary>
    public static async Task<List<string>> TakeMessagesAsync(this TestApp app, string queueName) =>
        [.. (await app.DecodedMessagesAsync(queueName)).OrderBy(t => JsonNode.Parse(t)!["messageIndex"]?.GetValue<int>() ?? 0)];

    /// <summary>Every metric the sandbox holds for a patient.</summary>
    public static async Task<List<PatientHealthMetricResource>> SandboxMetricsAsync(this TestApp app, string patientId = PatientId) =>
        await app.Twine().FetchPatientHealthMetricsPagesAsync(new PatientHealthMetricQuery { Patient = patientId, PageSize = 50 }).ResourcesAsync().ToListAsync();

    /// <summary>Every calendar event the sandbox holds for a patient.</summary>
    public static async Task<List<CalendarEventResource>> SandboxEventsAsync(this TestApp app, string patientId) =>
        await app.Twine().FetchCalendarEventsPagesAsync(new CalendarEventQuery { Patient = patientId, PageLimit = 50 }).ResourcesAsync().ToListAsync();

    /// <summary>Every row of the ingestion tables without the service's Timestamp and ETag: equal snapshots mean equal tables.</summary>
    public static async Task<string> SnapshotAsync(this TestApp app)
    {
        var lines = new List<string>();
        foreach (var table in new[] { app.Names.IngestionsTable, app.Names.CalendarEventLinksTable })
        {
            foreach (var row in await app.RowsAsync(table))
            {
                lines.Add(table + ": " + string.Join(";", row.Keys.Where(k => k is not ("Timestamp" or "odata.etag")).Order(StringComparer.Ordinal)
                    .Select(k => $"{k}={(row[k] is DateTimeOffset d ? d.ToString("O") : row[k])}")));
            }
        }

        return string.Join("\n", lines);
    }
}
