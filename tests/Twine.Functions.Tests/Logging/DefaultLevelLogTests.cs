using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Functions.Tests.Reliability;
using Twine.Sandbox;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Ingestions.Poison;
using Twine.Functions.Ingestions.Status;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Polling;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Logging;

/// <summary>
/// The app built by <see cref="FunctionsAppSetup.AddTwineFunctions"/> (what Program.cs runs) at its default log levels,
/// against the real Azurite and the sandbox: ingestion (metrics, calendar PUT and DELETE with partner externalIds of the
/// form <c>mrn-&lt;number&gt;-…</c>, a partner Idempotency-Key), queue processing (a driver that receives from the queues
/// as the host does, so its Azure SDK lines reach the app's forwarder too), polling, and the read endpoints. What the
/// worker would send to Application Insights: a handful of the app's lines per ingestion, none with a table key, an
/// externalId, a patient id or a storage URL.
/// </summary>
public sealed partial class DefaultLevelLogTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Organization = "58c4554710123c5c40dbab81";
    private const string Coach = "5a0c8e27a9d454cc150997c9";
    private const string EventOwner = "5a0c8e27a9d454cc150997f7"; // Bodies.CalendarEvent's owner (a patient)
    private const string Mrn = "mrn-4471932";
    private const string UnknownMrn = "mrn-9930117";

    /// <summary>Per ingestion, all categories together. Today's app writes about 4-6; a request line per SDK call would be dozens.</summary>
    private const int MaxRecordsPerIngestion = 12;

    private SandboxServer _sandbox = null!;

    public async ValueTask InitializeAsync() =>
        _sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = 0 }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Ingestion_processing_and_polling_log_the_apps_lines_and_no_keys_ids_or_storage_urls()
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var logs = new FakeLogCollector();
        using var host = Build(suffix, logs);
        var services = host.Services;
        var names = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var suffixNumber = Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        var visit = $"{Mrn}-visit-{suffixNumber}";
        var call = $"{Mrn}-call-{suffixNumber}";
        var idempotencyKey = $"{Mrn}-upload-{suffixNumber}";
        var email = _sandbox.AddEmailHistory(Coach, ProcessingApp.PatientId, DateTimeOffset.UtcNow.AddMinutes(-2));

        // Ingestion: two metrics uploads (one with the partner's Idempotency-Key), one by an identifier Twine does not
        // know (rejected by Twine), two calendar events by externalId, then a DELETE of one of them.
        var metrics = services.GetRequiredService<MetricsIngestionHandler>();
        var calendar = services.GetRequiredService<CalendarEventIngestionHandler>();
        var ids = new List<string>
        {
            await PostMetricsAsync(services, metrics, ProcessingApp.Metrics(3), null, ct),
            await PostMetricsAsync(services, metrics, ProcessingApp.Metrics(2), idempotencyKey, ct),
            await PostMetricsAsync(services, metrics, ByIdentifier(UnknownMrn), null, ct),
            await PutEventAsync(services, calendar, visit, ct),
            await PutEventAsync(services, calendar, call, ct),
        };

        var metricsHost = MetricsHost(services, names);
        var calendarHost = CalendarHost(services, names);
        await metricsHost.RunUntilDrainedAsync(cancellationToken: ct);
        await calendarHost.RunUntilDrainedAsync(cancellationToken: ct);
        var deleteBody = TestApp.DeleteBody(call);
        using var deleteStream = new MemoryStream(deleteBody);
        var delete = await ExecuteAsync(services, await calendar.HandleDeleteAsync(
            new WebhookRequest(Sign(deleteBody), "application/vnd.api+json", null, deleteBody.Length, null, deleteStream), call, ct));
        Assert.Equal(202, delete.Status);
        ids.Add(delete.Json["ingestionId"]!.GetValue<string>());
        await calendarHost.RunUntilDrainedAsync(cancellationToken: ct);

        // Polling, then the read endpoints.
        var polled = await services.GetRequiredService<TwineUpdatesPoller>().RunAsync(ct);
        Assert.True(polled.RowsWritten >= 1, "the email at least");
        var status = services.GetRequiredService<IngestionStatusHandler>();
        var statuses = new List<string>();
        foreach (var id in ids)
        {
            var answer = await ExecuteAsync(services, await status.HandleAsync(default, id, ct));
            Assert.Equal(200, answer.Status);
            statuses.Add(answer.Json["status"]!.GetValue<string>());
        }

        Assert.Equal(["succeeded", "succeeded", "failed", "succeeded", "succeeded", "succeeded"], statuses);
        Assert.Equal(200, (await ExecuteAsync(services, await services.GetRequiredService<CalendarEventQueryHandler>().HandleAsync(visit, ct))).Status);

        var records = logs.GetSnapshot();
        var texts = records.Select(r => (r.Category, r.Level, Text: LogRecordText.Of(r))).ToList();

        // The app's own lines are there: every ingestion id, in Twine.* categories.
        foreach (var id in ids)
        {
            Assert.Contains(texts, t => t.Category?.StartsWith("Twine.", StringComparison.Ordinal) == true && t.Text.Contains(id, StringComparison.Ordinal));
        }

        // SDK, HttpClient and Polly lines only from Warning (a request line at Information would carry its URL).
        var sdkBelowWarning = texts.Where(t => t.Level < LogLevel.Warning && IsSdk(t.Category)).Select(t => $"{t.Category}: {t.Text}").ToList();
        Assert.True(sdkBelowWarning.Count == 0, $"{sdkBelowWarning.Count} SDK lines below Warning:\n{string.Join("\n", sdkBelowWarning.Take(5))}");

        // Table keys that carry partner or patient data must not appear. Keys that are the app's own identifiers, which
        // operators search logs by, do: ingestion ids (Ingestions), Twine ids (CalendarEvents) and poll stream names
        // (PollCheckpoints: the configured organization and coach ids).
        var forbidden = new Dictionary<string, string>
        {
            ["an externalId"] = visit,
            ["the other externalId"] = call,
            ["the partner's id scheme"] = "mrn-",
            ["the Idempotency-Key"] = idempotencyKey,
            ["the metrics' patient id (email partition key)"] = ProcessingApp.PatientId,
            ["the event owner's patient id"] = EventOwner,
            ["the email history id (row key)"] = email,
            ["a table key in a request"] = "PartitionKey",
            ["a row key in a request"] = "RowKey",
            ["the table service URL"] = $"127.0.0.1:{azurite.TablePort}",
            ["the queue service URL"] = $"127.0.0.1:{azurite.QueuePort}",
            ["the storage account"] = AzuriteFixture.AccountName,
            ["the storage key"] = AzuriteFixture.AccountKey,
            ["a SAS signature"] = "sig=",
        };
        foreach (var (what, marker) in forbidden)
        {
            var leaks = texts.Where(t => t.Text.Contains(marker, StringComparison.OrdinalIgnoreCase)).Select(t => $"{t.Category}: {t.Text}").ToList();
            Assert.True(leaks.Count == 0, $"{what} ('{marker}') in {leaks.Count} log records:\n{string.Join("\n", leaks.Take(5))}");
        }

        // Hashed keys (IngestionKeys partitions, SHA-256 hex) are table keys too.
        var hashed = texts.Where(t => Sha256Hex().IsMatch(t.Text)).Select(t => $"{t.Category}: {t.Text}").ToList();
        Assert.True(hashed.Count == 0, $"a hashed table key in {hashed.Count} log records:\n{string.Join("\n", hashed.Take(5))}");

        var perIngestion = (double)records.Count / ids.Count;
        ReliabilityApp.Report($"Logs at default levels: {records.Count} records for {ids.Count} ingestions ({perIngestion:0.0} per ingestion, processing and a poll included) " +
            $"from {records.Select(r => r.Category).Distinct().Count()} categories: {string.Join(", ", records.GroupBy(r => r.Category).Select(g => $"{g.Key} {g.Count()}"))}");
        Assert.True(perIngestion <= MaxRecordsPerIngestion, $"{records.Count} log records for {ids.Count} ingestions");
    }

    private IHost Build(string suffix, FakeLogCollector logs)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TwineStorage"] = azurite.ConnectionString,
            ["Storage:IngestionsTable"] = "Ingestions" + suffix,
            ["Storage:CalendarEventLinksTable"] = "CalendarEventLinks" + suffix,
            ["Storage:IngestionKeysTable"] = "IngestionKeys" + suffix,
            ["Storage:MetricsQueue"] = "twine-metrics-" + suffix,
            ["Storage:CalendarEventsQueue"] = "twine-calendar-events-" + suffix,
            [$"Webhooks:Partners:{TestApp.TestPartner}:Secrets:0"] = TestApp.TestSecret,
            ["Twine:BaseAddress"] = _sandbox.BaseAddress.ToString(),
            ["Twine:ClientId"] = _sandbox.ClientId,
            ["Twine:ClientSecret"] = _sandbox.ClientSecret,
            ["PollTwineUpdates:Organization"] = Organization,
            ["PollTwineUpdates:EmailSenders"] = Coach,
            ["PollTwineUpdates:EmailHashKey"] = Polling.PollingHarness.HashKey,
            ["PollTwineUpdates:EmailHistoryTable"] = "EmailHistory" + suffix,
            ["PollTwineUpdates:CalendarEventsTable"] = "CalendarEvents" + suffix,
            ["PollTwineUpdates:CheckpointsTable"] = "PollCheckpoints" + suffix,
            ["PollTwineUpdates:EmailRecheckTable"] = "EmailRecheck" + suffix,
        });
        builder.AddTwineFunctions();
        builder.Logging.AddTestLogCapture(logs);
        var host = builder.Build();
        host.Services.GetRequiredService<IStartupValidator>().Validate();

        // What the host's start does first (the host itself is not started here: it would connect to the Functions runtime).
        host.Services.GetRequiredService<StorageProvisioning>().CreateAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        return host;
    }

    private static bool IsSdk(string? category) =>
        category is not null && (category.StartsWith("Azure", StringComparison.Ordinal) || category.StartsWith("System.Net.Http", StringComparison.Ordinal)
                                 || category.StartsWith("Polly", StringComparison.Ordinal));

    /// <summary>A metric whose patient is given by medical-record number: Twine finds no such patient and rejects it.</summary>
    private static JsonObject ByIdentifier(string mrn)
    {
        var body = ProcessingApp.Metrics(1);
        var patient = body["data"]![0]!["relationships"]!["patient"]!["data"]!.AsObject();
        patient.Remove("id");
        patient["meta"] = JsonNode.Parse($$$"""{"query":{"identifier":{"system":"medical-record-number","value":"{{{mrn}}}"},"organization":"{{{Organization}}}"}}""");
        return body;
    }

    private static async Task<string> PostMetricsAsync(IServiceProvider services, MetricsIngestionHandler handler, JsonObject body, string? idempotencyKey, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        using var stream = new MemoryStream(bytes);
        var answer = await ExecuteAsync(services, await handler.HandleAsync(new WebhookRequest(Sign(bytes), "application/vnd.api+json", null, bytes.Length, idempotencyKey, stream), ct));
        Assert.Equal(202, answer.Status);
        return answer.Json["ingestionId"]!.GetValue<string>();
    }

    private static async Task<string> PutEventAsync(IServiceProvider services, CalendarEventIngestionHandler handler, string externalId, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(Bodies.CalendarEvent().With("meta", new JsonObject { ["external_id"] = externalId }).ToJsonString());
        using var stream = new MemoryStream(bytes);
        var answer = await ExecuteAsync(services, await handler.HandlePutAsync(new WebhookRequest(Sign(bytes), "application/vnd.api+json", null, bytes.Length, null, stream), externalId, ct));
        Assert.Equal(202, answer.Status);
        return answer.Json["ingestionId"]!.GetValue<string>();
    }

    /// <summary>Standard Webhooks headers at the real clock's time (the host's TimeProvider is the system's).</summary>
    private static WebhookHeaders Sign(ReadOnlySpan<byte> body)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new WebhookHeaders(id, timestamp.ToString(CultureInfo.InvariantCulture), WebhookSecret.Sign(TestApp.TestSecret, id, timestamp, body));
    }

    private static async Task<TestResponse> ExecuteAsync(IServiceProvider services, IResult result)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        return new TestResponse(context.Response.StatusCode, context.Response.ContentType, new Dictionary<string, string>(), Encoding.UTF8.GetString(body.ToArray()));
    }

    private AtLeastOnceQueueHost MetricsHost(IServiceProvider services, StorageOptions names) =>
        new(azurite.ConnectionString, names.MetricsQueue,
            (text, dequeueCount, ct) => services.GetRequiredService<MetricsMessageProcessor>().ProcessAsync(text, dequeueCount, ct),
            (text, messageId, ct) => services.GetRequiredService<PoisonMessageHandler>().HandleMetricsAsync(text, messageId, ct));

    private AtLeastOnceQueueHost CalendarHost(IServiceProvider services, StorageOptions names) =>
        new(azurite.ConnectionString, names.CalendarEventsQueue,
            (text, dequeueCount, ct) => services.GetRequiredService<CalendarEventMessageProcessor>().ProcessAsync(text, dequeueCount, ct),
            (text, messageId, ct) => services.GetRequiredService<PoisonMessageHandler>().HandleCalendarEventAsync(text, messageId, ct));

    [GeneratedRegex("[0-9a-fA-F]{64}")]
    private static partial Regex Sha256Hex();
}
