using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Twine.Sandbox;
using Twine.Testing;
using Twine.Functions.Ingestions;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// The app as the harnesses drive it: <see cref="TestApp"/> (the one app builder, from the composition root the host
/// uses) on a real Azurite, with three changes registered after the app's own: the real clock (retries, the Twine
/// circuit and token expiry run in real time), logging at Warning (no in-memory log capture in the timings), and a
/// pipeline policy on every Azure storage client the app builds (Microsoft.Extensions.Azure's ConfigureDefaults) that
/// counts each HTTP request to the table and queue endpoints. Requests are signed as the test partner at the real time.
/// </summary>
public sealed class BenchApp : IAsyncDisposable
{
    /// <summary>A seeded sandbox patient with no seeded metrics.</summary>
    public const string PatientId = "5a1000000000000000000003";

    private static long _metricSequence;

    private BenchApp(TestApp app, StorageCallCounter counter)
    {
        App = app;
        StorageCalls = counter;
    }

    public TestApp App { get; }

    public StorageCallCounter StorageCalls { get; }

    public IServiceProvider Services => App.Services;

    public MetricsIngestionHandler Metrics => App.Metrics;

    /// <summary>Builds the app on <paramref name="azurite"/>; the Twine it talks to is <paramref name="sandbox"/>.</summary>
    public static BenchApp Create(AzuriteFixture azurite, SandboxServer? sandbox, Action<Dictionary<string, string?>>? configure = null)
    {
        var counter = new StorageCallCounter(azurite.TablePort, azurite.QueuePort);
        var app = new TestApp(azurite, configure, (services, _) =>
        {
            services.AddSingleton(TimeProvider.System);
            services.Configure<LoggerFilterOptions>(options =>
            {
                options.Rules.Clear();
                options.MinLevel = LogLevel.Warning;
            });
            services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(counter, HttpPipelinePosition.PerRetry)));
        }, sandbox, new FakeTimeProvider(DateTimeOffset.UtcNow));
        return new BenchApp(app, counter);
    }

    /// <summary>Starts the real Azurite (node, free loopback ports, in memory) as the test fixture does.</summary>
    public static async Task<AzuriteFixture> StartAzuriteAsync()
    {
        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        return azurite;
    }

    /// <summary>POST /api/metrics through the real handler, signed at the real time; the result run into an HttpContext. Returns the status and the ingestion id.</summary>
    public async Task<(int Status, string? IngestionId)> PostMetricsAsync(byte[] body, CancellationToken cancellationToken = default)
    {
        using var stream = new MemoryStream(body);
        var result = await Metrics.HandleAsync(new WebhookRequest(Sign(body), "application/vnd.api+json", null, body.Length, null, stream), cancellationToken);
        var context = new DefaultHttpContext { RequestServices = Services };
        using var response = new MemoryStream();
        context.Response.Body = response;
        await result.ExecuteAsync(context);
        string? id = null;
        if (context.Response.StatusCode == StatusCodes.Status202Accepted)
        {
            id = JsonNode.Parse(response.ToArray())?["ingestionId"]?.GetValue<string>();
        }

        return (context.Response.StatusCode, id);
    }

    public static WebhookHeaders Sign(ReadOnlySpan<byte> body)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new WebhookHeaders(id, timestamp.ToString(CultureInfo.InvariantCulture), WebhookSecret.Sign(TestApp.TestSecret, id, timestamp, body));
    }

    /// <summary>One metric for <see cref="PatientId"/>, each with its own occurred_at so Twine never sees a duplicate.</summary>
    public static JsonObject Metric()
    {
        var n = Interlocked.Increment(ref _metricSequence);
        return new JsonObject
        {
            ["type"] = "patient_health_metric",
            ["attributes"] = new JsonObject
            {
                ["code"] = new JsonObject { ["system"] = "LOINC", ["value"] = "13457-7" },
                ["type"] = "ldl_cholesterol",
                ["occurred_at"] = new DateTimeOffset(2017, 3, 14, 0, 0, 0, TimeSpan.Zero).AddSeconds(n).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["value"] = 100 + (n % 100),
                ["unit"] = "mg/dl",
            },
            ["relationships"] = new JsonObject
            {
                ["patient"] = new JsonObject { ["data"] = new JsonObject { ["type"] = "patient", ["id"] = PatientId } },
            },
        };
    }

    /// <summary>A POST /api/metrics body of <paramref name="count"/> metrics.</summary>
    public static byte[] MetricsBody(int count) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["data"] = new JsonArray([.. Enumerable.Range(0, count).Select(_ => (JsonNode)Metric())]) }.ToJsonString());

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

/// <summary>Counts every HTTP request (each attempt, retries included) a storage client sends, by service.</summary>
public sealed class StorageCallCounter(int tablePort, int queuePort) : HttpPipelineSynchronousPolicy
{
    private long _table;
    private long _queue;
    private long _other;

    public long Table => Interlocked.Read(ref _table);

    public long Queue => Interlocked.Read(ref _queue);

    public long Other => Interlocked.Read(ref _other);

    public long Total => Table + Queue + Other;

    public override void OnSendingRequest(HttpMessage message)
    {
        var port = message.Request.Uri.Port;

        Interlocked.Increment(ref port == tablePort ? ref _table : ref port == queuePort ? ref _queue : ref _other);
    }

    public (long Table, long Queue, long Other) Snapshot() => (Table, Queue, Other);
}
