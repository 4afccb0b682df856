using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Twine.Client;
using Twine.Client.Queries;
using Twine.Client.Paging;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Functions.Ingestions.Retries;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// The app as <see cref="ProcessingApp"/> wires it, but with the Twine client's resilience switched on and kept small
/// (1 retry after 10 ms, 5 s per attempt) so faults exercise both the client's retries and the host's redelivery,
/// and optionally on another storage account (the restartable Azurite).
/// </summary>
internal static class ReliabilityApp
{
    /// <summary>
    /// Per attempt: far above what an answer takes even on a loaded machine, so only an injected delay trips it (with
    /// 500 ms, a 2-core machine under load timed out healthy bulk creates until messages went to poison). The timeout
    /// test sets its own, below the delay it injects.
    /// </summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    public const int MaxRetryAttempts = 1;

    private static int _series = Random.Shared.Next(0, 1000);

    public static TestApp Create(
        AzuriteFixture azurite,
        SandboxServer sandbox,
        Action<IServiceCollection>? services = null,
        string? connectionString = null,
        Action<Dictionary<string, string?>>? configure = null) =>
        new(azurite, sandbox: sandbox,
            configure: settings =>
            {
                if (connectionString is not null)
                {
                    settings["TwineStorage"] = connectionString;
                }

                settings["Twine:Resilience:Retry:MaxRetryAttempts"] = MaxRetryAttempts.ToString(CultureInfo.InvariantCulture);
                settings["Twine:Resilience:Retry:Delay"] = "00:00:00.010";
                settings["Twine:Resilience:AttemptTimeout:Timeout"] = AttemptTimeout.ToString("c", CultureInfo.InvariantCulture);
                settings["Twine:Resilience:TotalRequestTimeout:Timeout"] = "00:00:10";
                configure?.Invoke(settings);
            },
            register: (collection, _) =>
            {
                // The app's clock stays the test's FakeTimeProvider (what the code reads); the client's resilience timers
                // (attempt timeout, retry delay, Retry-After) run in real time, kept small, so a fault costs milliseconds.
                var clock = (FakeTimeProvider)collection.First(d => d.ServiceType == typeof(TimeProvider)).ImplementationInstance!;
                collection.AddSingleton<TimeProvider>(new FakeClockRealTimers(clock));
                collection.AddRecordingRetryQueue();
                services?.Invoke(collection);
            });

    /// <summary>
    /// <paramref name="count"/> metrics for <see cref="ProcessingApp.PatientId"/> with instants no other call returns
    /// (a series of its own), so a test counts exactly its own metrics in the shared sandbox.
    /// </summary>
    public static (JsonObject Body, HashSet<DateTimeOffset> Instants) Metrics(int count, string patientId = ProcessingApp.PatientId)
    {
        var series = Interlocked.Increment(ref _series);
        var start = new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(series);
        var body = Bodies.Metrics(count);
        var instants = new HashSet<DateTimeOffset>();
        var i = 0;
        foreach (var metric in body["data"]!.AsArray())
        {
            var at = start.AddSeconds(i++);
            instants.Add(at);
            metric!["attributes"]!["occurred_at"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            metric["relationships"]!["patient"]!["data"]!["id"] = patientId;
        }

        return (body, instants);
    }

    /// <summary>
    /// How many of the given instants the sandbox holds for the patient, and how many metrics that is in all (equal when
    /// nothing is doubled). Counted with a client of its own, on the sandbox's current credentials (not the app's).
    /// </summary>
    public static async Task<(int Distinct, int Total)> CountInTwineAsync(SandboxServer sandbox, IReadOnlySet<DateTimeOffset> instants, string patientId = ProcessingApp.PatientId)
    {
        var services = new ServiceCollection();
        services.AddTwineClient(options =>
        {
            options.BaseAddress = sandbox.BaseAddress;
            options.ClientId = sandbox.ClientId;
            options.ClientSecret = sandbox.ClientSecret;
            options.EnableRetries = false;
        });
        await using var provider = services.BuildServiceProvider();
        var mine = await provider.GetRequiredService<ITwineClient>()
            .FetchPatientHealthMetricsPagesAsync(new PatientHealthMetricQuery { Patient = patientId, PageSize = 50 })
            .ResourcesAsync()
            .Where(m => m.Attributes?.OccurredAt is { } at && instants.Contains(at))
            .ToListAsync();
        return (mine.Select(m => m.Attributes!.OccurredAt!.Value).Distinct().Count(), mine.Count);
    }

    /// <summary>The at-least-once driver of the app's metrics queue and its poison queue, as the Functions host runs them.</summary>
    public static AtLeastOnceQueueHost MetricsHost(this TestApp app, string? connectionString = null, int batchSize = 16,
        Func<int, Task>? beforeDelivery = null, bool deliverEveryMessageTwice = false, Func<DateTimeOffset, Task>? clockMoved = null) =>
        new(connectionString ?? app.ConnectionString, app.Names.MetricsQueue,
            (text, dequeueCount, ct) => app.MetricsProcessor().ProcessAsync(text, dequeueCount, ct),
            (text, messageId, ct) => app.PoisonHandler().HandleMetricsAsync(text, messageId, ct))
        {
            Retries = app.Retries(),
            Clock = app.Time,
            RescheduleErrors = () => app.RescheduleErrors(app.Names.MetricsQueue),
            BatchSize = batchSize,
            BeforeDelivery = beforeDelivery,
            DeliverEveryMessageTwice = deliverEveryMessageTwice,
            ClockMoved = clockMoved,
        };

    public static AtLeastOnceQueueHost CalendarHost(this TestApp app, string? connectionString = null, int batchSize = 16,
        bool deliverEveryMessageTwice = false, Func<DateTimeOffset, Task>? clockMoved = null) =>
        new(connectionString ?? app.ConnectionString, app.Names.CalendarEventsQueue,
            (text, dequeueCount, ct) => app.CalendarProcessor().ProcessAsync(text, dequeueCount, ct),
            (text, messageId, ct) => app.PoisonHandler().HandleCalendarEventAsync(text, messageId, ct))
        {
            Retries = app.Retries(),
            Clock = app.Time,
            RescheduleErrors = () => app.RescheduleErrors(app.Names.CalendarEventsQueue),
            BatchSize = batchSize,
            DeliverEveryMessageTwice = deliverEveryMessageTwice,
            ClockMoved = clockMoved,
        };

    /// <summary>The last error of each reschedule of a queue's messages, as the app logged it (status and code only).</summary>
    public static IEnumerable<string> RescheduleErrors(this TestApp app, string queueName)
    {
        var kind = queueName == app.Names.MetricsQueue ? "createPatientHealthMetric" : null;
        return app.Logs.GetSnapshot()
            .Where(r => r.Category == typeof(MessageRetries).FullName && r.Message.Contains("rescheduled as attempt", StringComparison.Ordinal))
            .Select(r => r.StructuredState?.FirstOrDefault(kv => kv.Key == "Error").Value ?? "")
            .Where(e => kind is null ? !e.StartsWith("createPatientHealthMetric", StringComparison.Ordinal) : !e.Contains("calendar", StringComparison.OrdinalIgnoreCase))
            .ToList();
    }

    /// <summary>Messages in a queue (visible or leased).</summary>
    public static async Task<int> QueueCountAsync(string connectionString, string queueName)
    {
        var queue = new Azure.Storage.Queues.QueueClient(connectionString, queueName);
        return await queue.ExistsAsync() ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;
    }

    /// <summary>Rows for docs/RELIABILITY.md, appended by each run of a reliability test (bin/.../reliability-figures.md).</summary>
    public static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        lock (typeof(ReliabilityApp))
        {
            File.AppendAllText(Path.Combine(AppContext.BaseDirectory, "reliability-figures.md"), line + Environment.NewLine);
        }
    }
}

/// <summary>The clock of a <see cref="FakeTimeProvider"/>, with the system's real timers and timestamps.</summary>
internal sealed class FakeClockRealTimers(FakeTimeProvider clock) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
