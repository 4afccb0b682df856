using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions;
using Twine.Functions.Metrics;
using Twine.Functions.Partners;
using Twine.Functions.Platform.Storage;

// What a fresh worker does before its first 202, without the Functions host: build the service graph from the
// composition root (AddTwineFunctionServices), create the tables and queues (StorageProvisioning, as the hosted service
// does at start-up), then handle one signed POST /api/metrics and run its result. Prints `phase_ms: X` lines (time
// since Main started); `first_202` is the line the parent waits for. Argument: the storage connection string.
var clock = Stopwatch.StartNew();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"main_utc_ticks: {DateTime.UtcNow.Ticks}"));

const string Partner = "coldstart-partner";
const string Secret = "whsec_dGVzdC1wYXJ0bmVyLXNpZ25pbmcta2V5LTAwMDE=";
var suffix = Guid.NewGuid().ToString("N")[..12];
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["TwineStorage"] = args[0],
    ["Storage:IngestionsTable"] = "Ingestions" + suffix,
    ["Storage:IngestionResultsTable"] = "IngestionResults" + suffix,
    ["Storage:CalendarEventLinksTable"] = "CalendarEventLinks" + suffix,
    ["Storage:IngestionKeysTable"] = "IngestionKeys" + suffix,
    ["Storage:MetricsQueue"] = "twine-metrics-" + suffix,
    ["Storage:CalendarEventsQueue"] = "twine-calendar-events-" + suffix,
    ["PollTwineUpdates:Organization"] = "58c4554710123c5c40dbab81",
    ["PollTwineUpdates:Schedule"] = "0 */5 * * * *",
    ["PollTwineUpdates:EmailHistoryTable"] = "EmailHistory" + suffix,
    ["PollTwineUpdates:CalendarEventsTable"] = "CalendarEvents" + suffix,
    ["PollTwineUpdates:CheckpointsTable"] = "PollCheckpoints" + suffix,
    ["Twine:BaseAddress"] = "http://127.0.0.1:9/pub/",
    ["Twine:ClientId"] = "coldstart-client-id",
    ["Twine:ClientSecret"] = "coldstart-client-secret",
    [$"Webhooks:Partners:{Partner}:Secrets:0"] = Secret,
}).Build();

var services = new ServiceCollection();
services.AddSingleton<IConfiguration>(configuration);
services.AddLogging();
services.AddTwineFunctionServices(configuration);
await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
var handler = provider.GetRequiredService<MetricsIngestionHandler>();
Phase("graph");

await provider.GetRequiredService<StorageProvisioning>().CreateAllAsync(CancellationToken.None);
Phase("provisioned");

var first = clock.Elapsed;
var status = await PostAsync(0);
Phase(status == 202 ? "first_202" : $"first_{status}");
var second = clock.Elapsed;
var secondStatus = await PostAsync(1);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first_post_ms: {(second - first).TotalMilliseconds:F1}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"second_post_ms: {(clock.Elapsed - second).TotalMilliseconds:F1}"));
return status == 202 && secondStatus == 202 ? 0 : 1;

void Phase(string name) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}_ms: {clock.Elapsed.TotalMilliseconds:F1}"));

async Task<int> PostAsync(int n)
{
    var body = Encoding.UTF8.GetBytes("{\"data\":[{\"type\":\"patient_health_metric\",\"attributes\":{\"code\":{\"system\":\"LOINC\",\"value\":\"13457-7\"}," +
        "\"type\":\"ldl_cholesterol\",\"occurred_at\":\"2017-03-14T11:00:0" + n + ".000Z\",\"value\":100,\"unit\":\"mg/dl\"}," +
        "\"relationships\":{\"patient\":{\"data\":{\"type\":\"patient\",\"id\":\"5a1000000000000000000003\"}}}}]}");
    var id = "msg_" + Guid.NewGuid().ToString("N");
    var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    var headers = new WebhookHeaders(id, timestamp.ToString(CultureInfo.InvariantCulture), WebhookSecret.Sign(Secret, id, timestamp, body));
    using var stream = new MemoryStream(body);
    var result = await handler.HandleAsync(new WebhookRequest(headers, "application/vnd.api+json", null, body.Length, null, stream), CancellationToken.None);
    var context = new DefaultHttpContext { RequestServices = provider };
    context.Response.Body = new MemoryStream();
    await result.ExecuteAsync(context);
    return context.Response.StatusCode;
}
