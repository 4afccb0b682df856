using Azure.Data.Tables;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using static Twine.Functions.Tests.Polling.PollingHarness;
using Twine.Functions.EmailHistory;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.Tests.Polling;

/// <summary>
/// Late statuses (docs/POLLING.md): emails not final yet are read again by id at 1 h, 6 h, 1 day, 3 days and 7 days after
/// sending, from the EmailRecheck table, against the sandbox over loopback and Azurite, on the app's fake clock.
/// </summary>
public sealed class EmailRecheckTests(AzuriteFixture azurite)
{
    private const string ByIdRoute = "/email_history/{id}";

    private static Dictionary<string, DateTimeOffset> Statuses(DateTimeOffset sent, params string[] names) =>
        names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => sent.AddSeconds(x.i + 1));

    /// <summary>
    /// The email <paramref name="sent"/> lies below the sender stream's one-hour overlap for good: four newer emails and
    /// one older than the overlap (all final, so never re-checked) fill page 1, so catch-ups after the first stop there
    /// and never read it again.
    /// </summary>
    private static string AddBuriedEmail(PollingHarness h, DateTimeOffset sent, params string[] statuses)
    {
        var now = h.Time.GetUtcNow();
        var id = h.Sandbox.AddEmailHistory(Coach, Patient, sent, statusTimes: Statuses(sent, statuses));
        for (var i = 0; i < 4; i++)
        {
            h.Sandbox.AddEmailHistory(Coach, Patients[0], now.AddMinutes(-6 - i), statusTimes: Statuses(now.AddMinutes(-6 - i), "processed", "click"));
        }

        h.Sandbox.AddEmailHistory(Coach, Patients[1], sent.AddMinutes(1), statusTimes: Statuses(sent, "processed", "click"));
        return id;
    }

    private static async Task<TableEntity?> RecheckRowAsync(PollingHarness h, string emailId) =>
        (await h.App.RowsAsync(h.Tables.EmailRecheck.Name)).SingleOrDefault(r => r.RowKey == emailId);

    private static async Task<TableEntity> EmailRowAsync(PollingHarness h, string emailId) =>
        Assert.Single(await h.EmailRowsAsync(), r => r.RowKey == emailId);

    [Fact]
    public async Task A_status_set_two_days_after_sending_is_stored_by_the_due_recheck()
    {
        await using var h = await StartAsync(azurite, s => s["EmailSenders"] = Coach);
        var sent = h.Time.GetUtcNow().AddHours(-3);
        var id = AddBuriedEmail(h, sent, "processed", "delivered");

        await h.PollAsync();
        Assert.Equal("delivered", (await EmailRowAsync(h, id)).GetString("Status"));
        var row = await RecheckRowAsync(h, id);
        Assert.NotNull(row);
        Assert.Equal(sent.AddHours(6), row.GetDateTimeOffset("DueAt")); // the 1-hour check was past when it was stored
        Assert.Equal(EmailRecheckSchedule.Bucket(sent.AddHours(6)), row.PartitionKey);

        // Before the check is due nothing is read by id, whatever changed in Twine.
        h.Time.Advance(TimeSpan.FromHours(2));
        h.Sandbox.SetEmailStatus(id, "open", h.Time.GetUtcNow());
        var early = await h.PollAsync();
        Assert.True(early.CaughtUp);
        Assert.DoesNotContain(early.Streams, s => s.Stream == EmailRecheckPoller.StreamName);
        Assert.Equal(0, h.Sandbox.RequestCount("GET", ByIdRoute));
        Assert.Equal("delivered", (await EmailRowAsync(h, id)).GetString("Status"));

        // Two days after sending the patient opens it again; the overdue 6-hour check reads it and stores it.
        h.Time.Advance(sent.AddDays(2) - h.Time.GetUtcNow());
        var openedAt = h.Time.GetUtcNow();
        h.Sandbox.SetEmailStatus(id, "open", openedAt);
        var result = await h.PollAsync();

        Assert.True(result.CaughtUp);
        var recheck = Assert.Single(result.Streams, s => s.Stream == EmailRecheckPoller.StreamName);
        Assert.Equal(1, recheck.Pages);
        Assert.Equal(1, h.Sandbox.RequestCount("GET", ByIdRoute));
        var stored = await EmailRowAsync(h, id);
        Assert.Equal(openedAt, stored.GetDateTimeOffset("Status_open"));
        Assert.Equal(sent.AddSeconds(1), stored.GetDateTimeOffset("Status_processed"));
        Assert.Equal(sent.AddDays(3), (await RecheckRowAsync(h, id))!.GetDateTimeOffset("DueAt")); // the 1-day check was past too

        // Counts and stream names only: neither the email nor the patient appears in the app's own logs (the HttpClient's
        // request lines, with the URL, are at Warning outside tests: Platform/Hosting/DefaultLogLevels.cs).
        Assert.Contains(h.App.Logs.GetSnapshot(), l => l.Message.Contains(EmailRecheckPoller.StreamName, StringComparison.Ordinal));
        Assert.DoesNotContain(h.App.Logs.GetSnapshot(), l => l.Category is { } c && c.StartsWith("Twine.Functions", StringComparison.Ordinal)
            && (l.Message.Contains(id, StringComparison.Ordinal) || l.Message.Contains(Patient, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_email_in_a_final_status_is_not_rechecked_and_one_that_becomes_final_is_dropped()
    {
        await using var h = await StartAsync(azurite, s => s["EmailSenders"] = Coach);
        var sent = h.Time.GetUtcNow().AddMinutes(-30);
        var bounced = h.Sandbox.AddEmailHistory(Coach, Patient, sent, statusTimes: Statuses(sent, "processed", "bounce"));
        var clicked = h.Sandbox.AddEmailHistory(Coach, Patient, sent.AddMinutes(1), statusTimes: Statuses(sent, "processed", "delivered", "open", "click"));
        var pending = h.Sandbox.AddEmailHistory(Coach, Patient, sent.AddMinutes(2), statusTimes: Statuses(sent, "processed", "delivered"));

        await h.PollAsync();
        var queued = await h.App.RowsAsync(h.Tables.EmailRecheck.Name);
        Assert.Equal([pending], queued.Select(r => r.RowKey));

        // At its 1-hour check the pending one has been clicked: stored, then dropped from the schedule.
        h.Time.Advance(TimeSpan.FromMinutes(35));
        h.Sandbox.SetEmailStatus(pending, "click", h.Time.GetUtcNow());
        var checkedRun = await h.PollAsync();
        Assert.True(checkedRun.CaughtUp);
        Assert.Equal(1, h.Sandbox.RequestCount("GET", ByIdRoute));
        Assert.Equal(h.Time.GetUtcNow(), (await EmailRowAsync(h, pending)).GetDateTimeOffset("Status_click"));
        Assert.Empty(await h.App.RowsAsync(h.Tables.EmailRecheck.Name));

        foreach (var step in new[] { TimeSpan.FromHours(6), TimeSpan.FromDays(1), TimeSpan.FromDays(3), TimeSpan.FromDays(8) })
        {
            h.Time.Advance(sent + step - h.Time.GetUtcNow());
            await h.PollAsync();
        }

        Assert.Equal(1, h.Sandbox.RequestCount("GET", ByIdRoute)); // never the bounced or clicked one, the pending one once
        Assert.Empty(await h.App.RowsAsync(h.Tables.EmailRecheck.Name));
        Assert.Equal("bounce", (await EmailRowAsync(h, bounced)).GetString("Status"));
        Assert.Equal("click", (await EmailRowAsync(h, clicked)).GetString("Status"));
    }

    [Fact]
    public async Task An_email_that_never_becomes_final_is_read_five_times_and_nothing_after_seven_days()
    {
        await using var h = await StartAsync(azurite, s => s["EmailSenders"] = Coach);
        var sent = h.Time.GetUtcNow().AddMinutes(-10);
        var id = h.Sandbox.AddEmailHistory(Coach, Patient, sent, statusTimes: Statuses(sent, "processed", "delivered"));
        await h.PollAsync();

        // A run every few hours for ten days: the checks fall at 1 h, 6 h, 1 d, 3 d and 7 d, one GET each.
        var reads = new List<DateTimeOffset>();
        while (h.Time.GetUtcNow() < sent.AddDays(10))
        {
            h.Time.Advance(TimeSpan.FromHours(5));
            var before = h.Sandbox.RequestCount("GET", ByIdRoute);
            await h.PollAsync();
            if (h.Sandbox.RequestCount("GET", ByIdRoute) > before)
            {
                reads.Add(h.Time.GetUtcNow());
            }
        }

        Assert.Equal(EmailRecheckSchedule.Offsets.Length, h.Sandbox.RequestCount("GET", ByIdRoute));
        Assert.Equal(EmailRecheckSchedule.Offsets.Length, reads.Count);
        Assert.All(reads.Zip(EmailRecheckSchedule.Offsets), x => Assert.InRange(x.First, sent + x.Second, sent + x.Second + TimeSpan.FromHours(5)));
        Assert.Null(await RecheckRowAsync(h, id));
        Assert.Equal("delivered", (await EmailRowAsync(h, id)).GetString("Status"));
    }

    [Fact]
    public async Task The_time_budget_stops_the_rechecks_and_the_next_runs_continue_them()
    {
        // The budget clock moves a minute whenever the poller reads it.
        var budgetClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestApp.Start) { AutoAdvanceAmount = TimeSpan.FromMinutes(1) };
        await using var h = await StartAsync(azurite, s =>
        {
            s["EmailSenders"] = Coach;
            s["TimeBudget"] = "00:06:00";
            s["EmailOverlap"] = "00:00:00";
        }, pollerTime: budgetClock);
        var sent = h.Time.GetUtcNow().AddMinutes(-50);
        var ids = Enumerable.Range(0, 12)
            .Select(i => h.Sandbox.AddEmailHistory(Coach, Patients[i % 3], sent.AddSeconds(i), statusTimes: Statuses(sent, "processed")))
            .ToList();
        for (var runs = 0; runs < 10 && (await h.PollAsync()) is { CaughtUp: false }; runs++)
        {
        }

        Assert.Equal(12, (await h.App.RowsAsync(h.Tables.EmailRecheck.Name)).Count);

        h.Time.Advance(TimeSpan.FromMinutes(15));
        var deliveredAt = h.Time.GetUtcNow();
        foreach (var id in ids)
        {
            h.Sandbox.SetEmailStatus(id, "delivered", deliveredAt);
        }

        var first = await h.PollAsync();
        var stopped = Assert.Single(first.Streams, s => s.Stream == EmailRecheckPoller.StreamName);
        Assert.Equal(StreamOutcome.BudgetSpent, stopped.Outcome);
        Assert.InRange(h.Sandbox.RequestCount("GET", ByIdRoute), 1, 11);

        var runsAfter = 1;
        PollResult last;
        do
        {
            last = await h.PollAsync();
            runsAfter++;
        }
        while (!last.CaughtUp && runsAfter < 30);

        Assert.True(last.CaughtUp);
        Assert.True(runsAfter > 1);
        Assert.Equal(12, h.Sandbox.RequestCount("GET", ByIdRoute)); // each email read once: a stopped run loses and repeats nothing
        var rows = (await h.EmailRowsAsync()).Where(r => ids.Contains(r.RowKey)).ToList();
        Assert.Equal(12, rows.Count);
        Assert.All(rows, r => Assert.Equal(deliveredAt, r.GetDateTimeOffset("Status_delivered")));
        var queued = await h.App.RowsAsync(h.Tables.EmailRecheck.Name);
        Assert.Equal(12, queued.Count);
        Assert.All(queued, r => Assert.Equal(r.GetDateTimeOffset("SendTime") + TimeSpan.FromHours(6), r.GetDateTimeOffset("DueAt")));
    }

    [Fact]
    public async Task Twine_unavailable_stops_the_rechecks_and_the_next_run_reads_the_same_emails()
    {
        await using var h = await StartAsync(azurite, s => s["EmailSenders"] = Coach);
        var sent = h.Time.GetUtcNow().AddMinutes(-50);
        var first = h.Sandbox.AddEmailHistory(Coach, Patient, sent, statusTimes: Statuses(sent, "processed"));
        var second = h.Sandbox.AddEmailHistory(Coach, Patient, sent.AddSeconds(1), statusTimes: Statuses(sent, "processed"));
        await h.PollAsync();
        h.Time.Advance(TimeSpan.FromMinutes(15));
        h.Sandbox.Faults.Add("GET", ByIdRoute, FaultKind.InternalServerError, count: 1, after: 1);

        var failed = await h.PollAsync();

        Assert.Equal(StreamOutcome.TwineUnavailable, failed.Streams[^1].Outcome);
        Assert.Equal(EmailRecheckPoller.StreamName, failed.Streams[^1].Stream);
        Assert.Contains(h.App.Logs.GetSnapshot(), l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning && l.Message.Contains(EmailRecheckPoller.StreamName, StringComparison.Ordinal));
        var due = (await h.App.RowsAsync(h.Tables.EmailRecheck.Name)).Where(r => r.GetDateTimeOffset("DueAt") <= h.Time.GetUtcNow()).ToList();
        Assert.Single(due); // the one read before the failure moved on to its 6-hour check

        var next = await h.PollAsync();
        Assert.True(next.CaughtUp);
        Assert.Equal(3, h.Sandbox.RequestCount("GET", ByIdRoute));
        var queued = await h.App.RowsAsync(h.Tables.EmailRecheck.Name);
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), queued.Select(r => r.RowKey).Order(StringComparer.Ordinal));
        Assert.All(queued, r => Assert.Equal(r.GetDateTimeOffset("SendTime") + TimeSpan.FromHours(6), r.GetDateTimeOffset("DueAt")));
    }
}
