using System.Collections;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Testing;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.EmailHistory;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// The whole pipeline run with recognisable patient data (ingest metrics and a calendar event → queue → process, with a
/// transient fault and a Twine rejection on the way → status): no log record of any logger (the app's, the Twine client's,
/// the HttpClient factory's, the Azure SDK's forwarded lines), in its message, structured state, scopes or exception,
/// nor any exception the host would log, contains any of it; the ingestion ids and counts are there.
/// </summary>
public sealed class PhiSafeLogTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a0c8e27a9d454cc150997f7";
    private const string Coach = "5a0c8e27a9d454cc150997c9";

    private static readonly string[] Phi =
    [
        "PHI-MRN-7731942",         // a patient identifier (medical record number)
        "123.456789",              // a metric value
        "PHI-UNIT-Quokka",         // a unit
        "PHI-TITLE-Zebra",         // a calendar event title
        "phi.patient@example.org", // an email address in free text
        "PHI-LOCATION-Ward7",      // a location
        "PHI-NOTE-Okapi",          // a description
        ProcessingApp.PatientId,   // the metrics' patient id
        Owner,                     // the event's owner (a patient) and attendee
        Coach,                     // an attendee
    ];

    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public PhiSafeLogTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Fact]
    public async Task No_patient_data_reaches_any_log_record_while_ids_and_counts_do()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = ReliabilityApp.Create(_azurite, _sandbox);

        // Metrics by patient id with a recognisable value and unit.
        var (metrics, _) = ReliabilityApp.Metrics(3);
        foreach (var metric in metrics["data"]!.AsArray())
        {
            metric!["attributes"]!["value"] = 123.456789;
            metric["attributes"]!["unit"] = "PHI-UNIT-Quokka";
        }

        // A metric by identifier that Twine cannot match: rejected by Twine, recorded with Twine's error.
        var byIdentifier = ReliabilityApp.Metrics(1).Body;
        var patient = byIdentifier["data"]![0]!["relationships"]!["patient"]!["data"]!.AsObject();
        patient.Remove("id");
        patient["meta"] = JsonNode.Parse("""{"query":{"identifier":{"system":"medical-record-number","value":"PHI-MRN-7731942"},"organization":"58c4554710123c5c40dbab81"}}""");
        byIdentifier["data"]![0]!["attributes"]!["unit"] = "PHI-UNIT-Quokka";

        var calendar = Bodies.CalendarEvent();
        var attributes = calendar["data"]!["attributes"]!;
        attributes["title"] = "PHI-TITLE-Zebra";
        attributes["location"] = "PHI-LOCATION-Ward7";
        attributes["description"] = "PHI-NOTE-Okapi: call phi.patient@example.org";
        attributes["start_at"] = "2018-02-21T15:07:00Z";
        attributes["end_at"] = "2018-02-21T16:07:00Z";

        var metricsId = (await app.PostMetricsAsync(metrics)).IngestionId;
        var rejectedId = (await app.PostMetricsAsync(byIdentifier)).IngestionId;
        var calendarResponse = await app.PutCalendarEventAsync("ehr-appt-" + Guid.NewGuid().ToString("N")[..8], calendar);
        Assert.Equal(202, calendarResponse.Status);
        var calendarId = calendarResponse.IngestionId;

        // A transient failure on the way, so the reschedule path logs too.
        _sandbox.Faults.Add("POST", "/patient_health_metric", FaultKind.InternalServerError, count: 4); // both messages of the two ingestions fail their first delivery
        var metricsHost = app.MetricsHost();
        var calendarHost = app.CalendarHost();
        await metricsHost.RunUntilDrainedAsync(cancellationToken: ct);
        await calendarHost.RunUntilDrainedAsync(cancellationToken: ct);
        foreach (var id in new[] { metricsId, rejectedId, calendarId })
        {
            Assert.Equal(200, (await app.GetStatusAsync(id)).Status);
        }

        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(metricsId, ct))!.Status);
        Assert.Equal(IngestionStatus.Failed, (await app.Store.GetAsync(rejectedId, ct))!.Status);
        Assert.Equal(IngestionStatus.Succeeded, (await app.Store.GetAsync(calendarId, ct))!.Status);
        Assert.True(metricsHost.Failures >= 1);

        var records = app.Logs.GetSnapshot();
        var texts = records.Select(r => (r.Category, Text: LogRecordText.Of(r))).ToList();
        var thrown = metricsHost.Exceptions.Concat(calendarHost.Exceptions).Select(e => e.ToString()).ToList(); // none: failures are rescheduled now
        Assert.Contains(records, r => r.Message.Contains("rescheduled as attempt", StringComparison.Ordinal));

        foreach (var marker in Phi)
        {
            var leaks = texts.Where(t => t.Text.Contains(marker, StringComparison.OrdinalIgnoreCase)).Select(t => $"{t.Category}: {t.Text}").ToList();
            leaks.AddRange(thrown.Where(t => t.Contains(marker, StringComparison.OrdinalIgnoreCase)).Select(t => "thrown: " + t));
            Assert.True(leaks.Count == 0, $"'{marker}' in {leaks.Count} log records:\n{string.Join("\n", leaks.Take(5))}");
        }

        foreach (var id in new[] { metricsId, rejectedId, calendarId })
        {
            Assert.Contains(texts, t => t.Text.Contains(id, StringComparison.Ordinal));
        }

        Assert.Contains(texts, t => t.Text.Contains("Twine created 3 metrics", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Category?.StartsWith("Azure", StringComparison.Ordinal) == true || r.Category?.StartsWith("System.Net.Http", StringComparison.Ordinal) == true);
        ReliabilityApp.Report($"PHI: {records.Count} log records from {records.Select(r => r.Category).Distinct().Count()} categories and {thrown.Count} thrown exceptions searched for {Phi.Length} markers: 0 found; 3 ingestion ids found");
    }

    [Fact]
    public async Task Polling_Twine_for_changes_logs_no_patient_data()
    {
        await using var h = await Polling.PollingHarness.StartAsync(_azurite);
        var eventId = await h.CreateEventAsync(Polling.PollingHarness.Patient, h.Time.GetUtcNow().AddHours(2), title: "PHI-TITLE-Zebra");
        var emailId = h.Sandbox.AddEmailHistory(Polling.PollingHarness.Coach, Polling.PollingHarness.Patient, h.Time.GetUtcNow().AddMinutes(-2));
        var email = Assert.Single(await h.TwineEmailsAsync(Polling.PollingHarness.Coach), e => e.Id == emailId);
        var address = email.Attributes!.EmailAddress!;
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.App.Logs.Clear();

        var result = await h.PollAsync();

        Assert.True(result.RowsWritten >= 2);
        var texts = h.App.Logs.GetSnapshot().Select(r => (r.Category, Text: LogRecordText.Of(r))).ToList();
        Assert.NotEmpty(texts);
        foreach (var marker in new[] { "PHI-TITLE-Zebra", address, Polling.PollingHarness.Patient })
        {
            var leaks = texts.Where(t => t.Text.Contains(marker, StringComparison.OrdinalIgnoreCase)).Select(t => $"{t.Category}: {t.Text}").ToList();
            Assert.True(leaks.Count == 0, $"'{marker}' in {leaks.Count} log records:\n{string.Join("\n", leaks.Take(5))}");
        }

        ReliabilityApp.Report($"PHI (polling): {texts.Count} log records searched for the event title, the email address and the patient id: 0 found (event {eventId}, email {emailId} polled)");
    }

}
