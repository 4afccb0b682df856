using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Twine.Functions;
using Twine.Functions.CalendarEvents;
using Twine.Sandbox;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Status;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Storage;

namespace Twine.Testing;

/// <summary>
/// The one app builder for tests: the whole service graph from <see cref="FunctionsAppSetup.AddTwineFunctionServices"/>
/// (what the host registers), against the shared Azurite with table and queue names unique to one test, a
/// FakeTimeProvider, and the Twine sandbox when one is given. A test changes the app through settings
/// (<paramref name="configure"/>) and, only where it must, by registering a replacement after the app's own
/// (<paramref name="register"/>: the last registration wins). Also reads back what was stored and queued. Every write it
/// sends is signed as partner <see cref="TestPartner"/> (Standard Webhooks, a fresh webhook-id each time); tests of
/// unsigned or badly signed requests call the handlers with their own <see cref="WebhookHeaders"/>.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 14, 9, 30, 0, TimeSpan.Zero);
    public const string TestPartner = "test-partner";
    public const string TestSecret = "whsec_dGVzdC1wYXJ0bmVyLXNpZ25pbmcta2V5LTAwMDE=";

    /// <summary>The seeded sandbox organization (its calendar events are the ones polled).</summary>
    public const string Organization = "58c4554710123c5c40dbab81";

    private readonly ServiceProvider _provider;

    /// <param name="sandbox">The Twine the app talks to; without one, an address nothing answers (tests of the edge alone).</param>
    /// <param name="configure">Changes the settings before the app is built (table names, Twine:Resilience:*, …).</param>
    /// <param name="register">Replacements registered after the app's own (a credentials provider, a clock, a retry queue).</param>
    /// <param name="time">The clock, when the test shares it with something started before the app (a sandbox).</param>
    public TestApp(AzuriteFixture azurite, Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection, IConfiguration>? register = null,
        SandboxServer? sandbox = null, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(Start);
        var suffix = Guid.NewGuid().ToString("N")[..12];
        Settings = new Dictionary<string, string?>
        {
            ["TwineStorage"] = azurite.ConnectionString,
            ["Storage:IngestionsTable"] = "Ingestions" + suffix,
            ["Storage:CalendarEventLinksTable"] = "CalendarEventLinks" + suffix,
            ["Storage:IngestionKeysTable"] = "IngestionKeys" + suffix,
            ["Storage:IngestionIndexTable"] = "IngestionIndex" + suffix,
            ["Storage:IngestionMessagesTable"] = "IngestionMessages" + suffix,
            ["Storage:MetricsQueue"] = "twine-metrics-" + suffix,
            ["Storage:CalendarEventsQueue"] = "twine-calendar-events-" + suffix,
            ["PollTwineUpdates:Organization"] = Organization,
            ["PollTwineUpdates:Schedule"] = "0 */5 * * * *",
            ["Retention:Schedule"] = "0 30 2 * * *",
            ["PollTwineUpdates:EmailHistoryTable"] = "EmailHistory" + suffix,
            ["PollTwineUpdates:CalendarEventsTable"] = "CalendarEvents" + suffix,
            ["PollTwineUpdates:CheckpointsTable"] = "PollCheckpoints" + suffix,
            ["PollTwineUpdates:EmailRecheckTable"] = "EmailRecheck" + suffix,
            ["Twine:BaseAddress"] = sandbox?.BaseAddress.AbsoluteUri ?? "http://127.0.0.1:9/pub/",
            ["Twine:ClientId"] = sandbox?.ClientId ?? "no-twine-client-id",
            ["Twine:ClientSecret"] = sandbox?.ClientSecret ?? "no-twine-client-secret",
            [$"Webhooks:Partners:{TestPartner}:Secrets:0"] = TestSecret,
        };
        configure?.Invoke(Settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddTestLogCapture(Logs));
        services.AddSingleton<TimeProvider>(Time);
        services.AddTwineFunctionServices(configuration);
        register?.Invoke(services, configuration);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // What the host does when the worker starts (StorageProvisioning): the test's tables and queues exist before it runs.
        _provider.GetRequiredService<StorageProvisioning>().CreateAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        ConnectionString = azurite.ConnectionString;
    }

    public Dictionary<string, string?> Settings { get; }
    public string ConnectionString { get; }
    public FakeTimeProvider Time { get; }
    public IServiceProvider Services => _provider;
    public StorageOptions Names => Services.GetRequiredService<IOptions<StorageOptions>>().Value;
    public MetricsIngestionHandler Metrics => Services.GetRequiredService<MetricsIngestionHandler>();
    public CalendarEventIngestionHandler CalendarEvents => Services.GetRequiredService<CalendarEventIngestionHandler>();
    public IngestionStatusHandler Status => Services.GetRequiredService<IngestionStatusHandler>();
    public IngestionStore Store => Services.GetRequiredService<IngestionStore>();
    public CalendarEventLinkStore Links => Services.GetRequiredService<CalendarEventLinkStore>();

    /// <summary>Every log record the app wrote on behalf of this test (not another test's Azure SDK lines: see <see cref="TestLogCapture"/>).</summary>
    public FakeLogCollector Logs { get; } = new();

    public Task<TestResponse> PostMetricsAsync(JsonNode body, string contentType = "application/vnd.api+json", string? idempotencyKey = null) =>
        PostMetricsAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), contentType, idempotencyKey);

    public async Task<TestResponse> PostMetricsAsync(byte[] body, string? contentType = "application/vnd.api+json", string? idempotencyKey = null, bool declareLength = true)
    {
        using var stream = new MemoryStream(body);
        var result = await Metrics.HandleAsync(new WebhookRequest(Sign(body), contentType, null, declareLength ? body.Length : null, idempotencyKey, stream), CancellationToken.None);
        return await ExecuteAsync(result);
    }

    /// <summary>
    /// PUT as a partner sends it: the body's <c>meta.external_id</c> names the route's externalId (added when the body
    /// has no <c>meta</c>; <paramref name="bindTarget"/> false sends the body exactly as given).
    /// </summary>
    public async Task<TestResponse> PutCalendarEventAsync(string externalId, JsonNode body, string? idempotencyKey = null, string contentType = "application/vnd.api+json",
        bool bindTarget = true)
    {
        if (bindTarget && body is JsonObject document && !document.ContainsKey("meta"))
        {
            body = document.DeepClone();
            body["meta"] = new JsonObject { ["external_id"] = externalId };
        }

        return await PutCalendarEventAsync(externalId, Encoding.UTF8.GetBytes(body.ToJsonString()), idempotencyKey, contentType);
    }

    /// <summary>PUT with the body's bytes exactly as given (nothing added).</summary>
    public async Task<TestResponse> PutCalendarEventAsync(string externalId, byte[] bytes, string? idempotencyKey = null, string contentType = "application/vnd.api+json")
    {
        using var stream = new MemoryStream(bytes);
        var result = await CalendarEvents.HandlePutAsync(new WebhookRequest(Sign(bytes), contentType, null, bytes.Length, idempotencyKey, stream), externalId, CancellationToken.None);
        return await ExecuteAsync(result);
    }

    /// <summary>DELETE as a partner sends it: the signed body names the event (<see cref="DeleteBody"/>).</summary>
    public async Task<TestResponse> DeleteCalendarEventAsync(string externalId, string? idempotencyKey = null)
    {
        var bytes = DeleteBody(externalId);
        using var stream = new MemoryStream(bytes);
        return await ExecuteAsync(await CalendarEvents.HandleDeleteAsync(
            new WebhookRequest(Sign(bytes), "application/vnd.api+json", null, bytes.Length, idempotencyKey, stream), externalId, CancellationToken.None));
    }

    public static byte[] DeleteBody(string externalId) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["meta"] = new JsonObject { ["external_id"] = externalId } }.ToJsonString());

    public async Task<TestResponse> GetStatusAsync(string id) =>
        await ExecuteAsync(await Status.HandleAsync(default, id, CancellationToken.None));

    /// <summary>Standard Webhooks headers for <paramref name="body"/>, signed with <see cref="TestSecret"/> at the fake clock's time.</summary>
    public WebhookHeaders Sign(ReadOnlySpan<byte> body, string? webhookId = null, string secret = TestSecret)
    {
        var id = webhookId ?? "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = Time.GetUtcNow().ToUnixTimeSeconds();
        return new WebhookHeaders(id, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), WebhookSecret.Sign(secret, id, timestamp, body));
    }

    /// <summary>Adds the signature headers for <paramref name="body"/> to a request built for a function class.</summary>
    public void Sign(HttpRequest request, ReadOnlySpan<byte> body)
    {
        var headers = Sign(body);
        request.Headers[WebhookHeaders.IdHeader] = headers.Id;
        request.Headers[WebhookHeaders.TimestampHeader] = headers.Timestamp;
        request.Headers[WebhookHeaders.SignatureHeader] = headers.Signature;
    }

    /// <summary>Runs the result as the Functions host would, into a DefaultHttpContext, and reads the response back.</summary>
    public async Task<TestResponse> ExecuteAsync(IResult result)
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        await Services.GetRequiredService<AcceptFollowUps>().WhenIdleAsync(); // what the edge does after a 202, as settled before the next step
        return new TestResponse(context.Response.StatusCode, context.Response.ContentType,
            context.Response.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Encoding.UTF8.GetString(body.ToArray()));
    }

    /// <summary>Every message in a queue, as the raw text the service holds (base64), without removing them.</summary>
    public async Task<List<string>> RawMessagesAsync(string queueName)
    {
        var queue = new QueueClient(ConnectionString, queueName); // no MessageEncoding: the raw stored text
        if (!await queue.ExistsAsync())
        {
            return [];
        }

        var texts = new List<string>();
        while (true)
        {
            var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(10))).Value;
            if (batch.Length == 0)
            {
                return texts;
            }

            texts.AddRange(batch.Select(m => m.Body.ToString()));
        }
    }

    /// <summary>Messages of a queue decoded from base64 to their JSON text (UTF-8).</summary>
    public async Task<List<string>> DecodedMessagesAsync(string queueName) =>
        [.. (await RawMessagesAsync(queueName)).Select(t => Encoding.UTF8.GetString(Convert.FromBase64String(t)))];

    public async Task<int> MessageCountAsync(string queueName)
    {
        var queue = new QueueClient(ConnectionString, queueName);
        return await queue.ExistsAsync() ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;
    }

    /// <summary>All rows of a table (tests only: the app itself never scans).</summary>
    public async Task<List<TableEntity>> RowsAsync(string tableName)
    {
        var table = new TableClient(ConnectionString, tableName);
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>())
            {
                rows.Add(row);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Table not created: nothing stored.
        }

        return rows;
    }

    /// <summary>The ingestion rows (without the outcome rows and kept copies beside them, nor the aliases repeated webhook-ids leave).</summary>
    public async Task<List<TableEntity>> IngestionRowsAsync() =>
        [.. (await RowsAsync(Names.IngestionsTable)).Where(r => TableKeys.IsIngestionRow(r.RowKey) && r.GetString(nameof(IngestionEntity.AliasOf)) is null)];

    /// <summary>The message outcome rows (they share the Ingestions table's partitions with the ingestion rows and the kept message copies).</summary>
    public async Task<List<TableEntity>> ResultRowsAsync() =>
        [.. (await RowsAsync(Names.IngestionsTable)).Where(r => string.CompareOrdinal(r.RowKey, TableKeys.MessageRowsEnd) < 0)];

    /// <summary>The kept copies of queued messages (for replay), in the ingestions' partitions.</summary>
    public async Task<List<TableEntity>> KeptMessageRowsAsync() =>
        [.. (await RowsAsync(Names.IngestionsTable)).Where(r => r.RowKey.StartsWith(TableKeys.KeptMessageRowPrefix, StringComparison.Ordinal))];

    /// <summary>Asserts that nothing at all was stored or queued.</summary>
    public async Task AssertNothingStoredOrQueuedAsync()
    {
        foreach (var table in new[] { Names.IngestionsTable, Names.IngestionKeysTable, Names.CalendarEventLinksTable })
        {
            Assert.Empty(await RowsAsync(table));
        }

        Assert.Equal(0, await MessageCountAsync(Names.MetricsQueue));
        Assert.Equal(0, await MessageCountAsync(Names.CalendarEventsQueue));
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

public sealed record TestResponse(int Status, string? ContentType, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body)!;

    public string IngestionId => Json["ingestionId"]!.GetValue<string>();

    /// <summary>The pointers of a problem's errors.</summary>
    public IReadOnlyList<string?> Pointers => Json["errors"]?.AsArray().Select(e => e?["pointer"]?.GetValue<string>()).ToList() ?? [];

    public void AssertProblem(int status)
    {
        Assert.Equal(status, Status);
        Assert.Equal("application/problem+json", ContentType);
        var json = Json;
        Assert.Equal(status, json["status"]!.GetValue<int>());
        Assert.StartsWith("urn:twine-functions:problem:", json["type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(json["title"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(json["detail"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(json["instance"]?.GetValue<string>()));
    }
}
