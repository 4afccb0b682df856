using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Twine.Client;
using Twine.Client.Models;
using Twine.Client.Paging;
using Twine.Client.Queries;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.Tests.Polling;

/// <summary>
/// The app (<see cref="TestApp"/>, the host's service graph) polling a sandbox of its own on a free loopback port, against
/// the shared Azurite (tables unique to the test), app and sandbox on one FakeTimeProvider.
/// </summary>
public sealed class PollingHarness : IAsyncDisposable
{
    public const string Organization = "58c4554710123c5c40dbab81";
    public const string Coach = "5a0c8e27a9d454cc150997c9";
    public const string SecondCoach = "581630c3237d84a9403533c6";
    public const string Patient = "5a0c8e27a9d454cc150997f7";
    public static readonly string[] Patients = ["5a1000000000000000000001", "5a1000000000000000000002", "5a1000000000000000000003"];

    /// <summary>32 bytes, base64: a test key (real keys come from Key Vault or app settings).</summary>
    public static readonly string HashKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private PollingHarness(TestApp app, SandboxServer sandbox)
    {
        App = app;
        Sandbox = sandbox;
    }

    public TestApp App { get; }
    public SandboxServer Sandbox { get; }
    public FakeTimeProvider Time => App.Time;
    public IServiceProvider Services => App.Services;
    public TwineUpdatesPoller Poller => Services.GetRequiredService<TwineUpdatesPoller>();
    public ITwineClient Twine => Services.GetRequiredService<ITwineClient>();
    public PollingTables Tables => Services.GetRequiredService<PollingTables>();
    public PollCheckpointStore Checkpoints => Services.GetRequiredService<PollCheckpointStore>();
    public EmailHistoryQueryHandler EmailHistoryQuery => Services.GetRequiredService<EmailHistoryQueryHandler>();
    public CalendarEventQueryHandler CalendarEventQuery => Services.GetRequiredService<CalendarEventQueryHandler>();

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="settings">Changes to the PollTwineUpdates settings (keys without the section).</param>
    /// <param name="appSettings">Changes to any other setting (whole keys).</param>
    /// <param name="register">Replacements registered after the app's own.</param>
    public static async Task<PollingHarness> StartAsync(AzuriteFixture azurite, Action<Dictionary<string, string?>>? settings = null,
        int maxRetryAttempts = 0, TimeProvider? pollerTime = null, Action<Dictionary<string, string?>>? appSettings = null,
        Action<IServiceCollection>? register = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var polling = new Dictionary<string, string?>
        {
            ["Organization"] = Organization,
            ["EmailSenders"] = $"{Coach},{SecondCoach}",
            ["DiscoverEmailSenders"] = "false", // these tests count Twine requests per listed sender; CoachDiscoveryTests turn it on
            ["PageSize"] = "5",
            ["EmailOverlap"] = "01:00:00",
            ["CalendarOverlap"] = "00:01:00",
            ["TimeBudget"] = "00:04:00",
            ["EmailHashKey"] = HashKey,
            ["EmailHistoryTable"] = "EmailHistory" + suffix,
            ["CalendarEventsTable"] = "CalendarEvents" + suffix,
            ["CheckpointsTable"] = "PollCheckpoints" + suffix,
            ["EmailRecheckTable"] = "EmailRecheck" + suffix,
        };
        settings?.Invoke(polling);

        var time = new FakeTimeProvider(TestApp.Start);
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = 0, TimeProvider = time }, Ct);
        var app = new TestApp(azurite, all =>
        {
            foreach (var (key, value) in polling)
            {
                all[$"{PollingOptions.SectionName}:{key}"] = value;
            }

            all["Twine:EnableRetries"] = maxRetryAttempts > 0 ? "true" : "false";
            all["Twine:Resilience:Retry:MaxRetryAttempts"] = Math.Max(1, maxRetryAttempts).ToString(CultureInfo.InvariantCulture);
            all["Twine:Resilience:Retry:Delay"] = "00:00:01";
            all["Twine:Resilience:AttemptTimeout:Timeout"] = "00:02:00";
            all["Twine:Resilience:TotalRequestTimeout:Timeout"] = "00:05:00";
            all["Twine:Resilience:CircuitBreaker:SamplingDuration"] = "00:04:00"; // at least twice the attempt timeout
            appSettings?.Invoke(all);
        }, (services, _) =>
        {
            register?.Invoke(services);
            if (pollerTime is not null)
            {
                // Only the run's budget clock: the client and the sandbox keep the app's clock.
                services.AddSingleton(provider => ActivatorUtilities.CreateInstance<TwineUpdatesPoller>(provider, pollerTime));
            }
        }, sandbox, time);
        return new PollingHarness(app, sandbox);
    }

    public Task<PollResult> PollAsync() => Poller.RunAsync(Ct);

    /// <summary>Every email history of the configured senders, as Twine holds them.</summary>
    public async Task<List<EmailHistoryResource>> TwineEmailsAsync(params string[] senders)
    {
        var all = new List<EmailHistoryResource>();
        foreach (var sender in senders.Length == 0 ? [Coach, SecondCoach] : senders)
        {
            all.AddRange((await Twine.FetchEmailHistoriesAsync(new EmailHistoryQuery { Sender = sender }, Ct)).Data);
        }

        return all;
    }

    /// <summary>Every calendar event of the organization, as Twine holds them.</summary>
    public async Task<List<CalendarEventResource>> TwineEventsAsync() =>
        await Twine.FetchCalendarEventsPagesAsync(new CalendarEventQuery { Organization = Organization, PageLimit = 50 }, Ct).ResourcesAsync(Ct).ToListAsync(Ct);

    public Task<List<TableEntity>> EmailRowsAsync() => App.RowsAsync(Tables.EmailHistory.Name);

    public Task<List<TableEntity>> EventRowsAsync() => App.RowsAsync(Tables.CalendarEvents.Name);

    public Task<List<TableEntity>> CheckpointRowsAsync() => App.RowsAsync(Tables.Checkpoints.Name);

    public Task<PollCheckpoint> CheckpointAsync(string stream) => Checkpoints.GetAsync(stream, Ct);

    /// <summary>A telephone call for a seeded patient of the organization, created in Twine (not through the pipeline); the clock then moves 1 s.</summary>
    public async Task<string> CreateEventAsync(string patient, DateTimeOffset start, string title = "Check-in call")
    {
        var created = await Twine.CreateCalendarEventAsync(new CalendarEventResource
        {
            Attributes = new CalendarEventAttributes
            {
                Type = CalendarEventTypes.TelephoneCall,
                Title = title,
                StartAt = start,
                EndAt = start.AddMinutes(30),
                AllDay = false,
                Attendees = [CalendarEventAttendee.For(patient), CalendarEventAttendee.For(Coach)],
            },
            Relationships = new CalendarEventRelationships { Owner = Relationship.ToOne(ResourceIdentifier.Patient(patient)) },
        }, Ct);

        // Time passes after the change: a poll's updated_at range ends (exclusive) at its start, so a change made in the
        // very same instant belongs to the next poll.
        Time.Advance(TimeSpan.FromSeconds(1));
        return created.Data!.Id!;
    }

    /// <summary>The table rows as "id: status times" lines against Twine's emails: equal when the table is in step.</summary>
    public static string EmailDigest(IEnumerable<EmailHistoryResource> emails) => string.Join("\n", emails
        .Select(e => $"{e.Relationships!.Receiver!.Id}/{e.Id}: {e.Attributes!.EmailType} {e.Attributes.SendTime:O} " +
                     string.Join(",", EmailHistoryRow.StatusTimes(e.Attributes.StatusTimes).Select(t => $"{t.Status}={t.At:O}")))
        .Order(StringComparer.Ordinal));

    public static string EmailDigest(IEnumerable<TableEntity> rows) => string.Join("\n", rows
        .Select(r => $"{r.PartitionKey}/{r.RowKey}: {r.GetString("EmailType")} {r.GetDateTimeOffset("SendTime"):O} " +
                     string.Join(",", EmailHistoryRow.Statuses.Where(s => r.ContainsKey(EmailHistoryRow.StatusPrefix + s))
                         .Select(s => $"{s}={r.GetDateTimeOffset(EmailHistoryRow.StatusPrefix + s):O}")))
        .Order(StringComparer.Ordinal));

    public static string EventDigest(IEnumerable<CalendarEventResource> events) => string.Join("\n", events
        .Select(e => $"{e.Id}: {e.Attributes!.Type} {e.Attributes.StartAt:O} {e.Attributes.EndAt:O} {e.Attributes.CompletedAt:O} {e.Relationships?.Owner?.Id} {e.Attributes.UpdatedAt:O}")
        .Order(StringComparer.Ordinal));

    public static string EventDigest(IEnumerable<TableEntity> rows) => string.Join("\n", rows
        .Select(r => $"{r.PartitionKey}: {r.GetString("Type")} {r.GetDateTimeOffset("StartAt"):O} {r.GetDateTimeOffset("EndAt"):O} {r.GetDateTimeOffset("CompletedAt"):O} {r.GetString("PatientId")} {r.GetDateTimeOffset("UpdatedAt"):O}")
        .Order(StringComparer.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        await App.DisposeAsync();
    }
}
