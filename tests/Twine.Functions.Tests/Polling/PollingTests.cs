using System.Security.Cryptography;
using System.Text;
using Twine.Client.Models;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using static Twine.Functions.Tests.Polling.PollingHarness;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.Tests.Polling;

/// <summary>TwineUpdatesPoller against the sandbox over loopback HTTP and the real Azurite.</summary>
public sealed class PollingTests(AzuriteFixture azurite)
{
    private static readonly string EmailRoute = "/email_history";
    private static readonly string EventRoute = "/calendar_event";

    [Fact]
    public async Task Many_pages_of_emails_and_events_are_stored_and_the_checkpoints_advance()
    {
        await using var h = await StartAsync(azurite);
        var now = h.Time.GetUtcNow();
        h.Sandbox.AddEmailHistories(23, Coach, Patients, now.AddMinutes(-1), TimeSpan.FromMinutes(3));
        for (var i = 0; i < 12; i++)
        {
            await h.CreateEventAsync(Patients[i % 3], now.AddDays(1 + i));
        }

        var polledAt = h.Time.GetUtcNow();
        var result = await h.PollAsync();

        Assert.True(result.CaughtUp);
        var emails = await h.TwineEmailsAsync();
        Assert.True(emails.Count >= 26);
        Assert.Equal(EmailDigest(emails), EmailDigest(await h.EmailRowsAsync()));
        var events = await h.TwineEventsAsync();
        Assert.True(events.Count >= 15);
        Assert.Equal(EventDigest(events), EventDigest(await h.EventRowsAsync()));
        Assert.True(h.Sandbox.RequestCount("GET", EmailRoute) >= 6, "the coach's 26 emails take 6 pages of 5");
        Assert.True(h.Sandbox.RequestCount("GET", EventRoute) >= 4, "15 events take 4 pages of 5");

        var emailCheckpoint = await h.CheckpointAsync(EmailHistoryPoller.StreamName(Coach));
        Assert.Equal(now.AddMinutes(-1), emailCheckpoint.Watermark);
        Assert.False(emailCheckpoint.HasResume);
        var calendarCheckpoint = await h.CheckpointAsync(CalendarEventPoller.StreamName(Organization));
        Assert.Equal(polledAt, calendarCheckpoint.Watermark);

        // Nothing new: the next run reads only the overlap window (1 hour: 21 of the coach's emails, 5 pages), not everything.
        h.Time.Advance(TimeSpan.FromMinutes(5));
        var before = h.Sandbox.RequestCount("GET", EmailRoute);
        var again = await h.PollAsync();
        Assert.True(again.CaughtUp);
        Assert.Equal(5 + 1, h.Sandbox.RequestCount("GET", EmailRoute) - before); // 5 pages for the coach, 1 for the second coach
        Assert.Equal(EmailDigest(emails), EmailDigest(await h.EmailRowsAsync()));
        Assert.Equal(now.AddMinutes(-1), (await h.CheckpointAsync(EmailHistoryPoller.StreamName(Coach))).Watermark);
        Assert.Equal(polledAt.AddMinutes(5), (await h.CheckpointAsync(CalendarEventPoller.StreamName(Organization))).Watermark);
    }

    [Fact]
    public async Task Email_addresses_are_kept_only_as_a_keyed_hash_and_logs_hold_no_addresses()
    {
        await using var h = await StartAsync(azurite);
        var id = h.Sandbox.AddEmailHistory(Coach, Patient, h.Time.GetUtcNow().AddMinutes(-2));

        await h.PollAsync();

        var rows = await h.EmailRowsAsync();
        var row = Assert.Single(rows, r => r.RowKey == id);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromBase64String(HashKey), Encoding.UTF8.GetBytes($"sandbox-{id}@example.com")));
        Assert.Equal(expected, row.GetString("EmailAddressHash"));
        Assert.DoesNotContain(rows.SelectMany(r => r.Select(p => p.Value)), v => v is string s && s.Contains('@', StringComparison.Ordinal));
        Assert.DoesNotContain(h.App.Logs.GetSnapshot(), l => l.Message.Contains('@', StringComparison.Ordinal));
        Assert.DoesNotContain(h.App.Logs.GetSnapshot(), l => l.Message.Contains(Patient, StringComparison.Ordinal) || l.Message.Contains(id, StringComparison.Ordinal));

        await using var unkeyed = await StartAsync(azurite, s => s["EmailHashKey"] = "");
        unkeyed.Sandbox.AddEmailHistory(Coach, Patient, unkeyed.Time.GetUtcNow().AddMinutes(-2));
        await unkeyed.PollAsync();
        Assert.All(await unkeyed.EmailRowsAsync(), r => Assert.False(r.ContainsKey("EmailAddressHash")));
    }

    [Fact]
    public async Task A_status_that_arrives_after_the_email_was_stored_is_seen_within_the_overlap_window()
    {
        await using var h = await StartAsync(azurite);
        var sent = h.Time.GetUtcNow().AddMinutes(-10);
        var recent = h.Sandbox.AddEmailHistory(Coach, Patient, sent, statusTimes: new Dictionary<string, DateTimeOffset> { ["processed"] = sent.AddSeconds(1) });
        // Five emails an hour before it fill the page the overlap ends on, so the three-hour-old one is on the next page.
        h.Sandbox.AddEmailHistories(5, Coach, [Patient], sent.AddMinutes(-70), TimeSpan.FromMinutes(1));
        var old = h.Sandbox.AddEmailHistory(Coach, Patient, sent.AddHours(-3), statusTimes: new Dictionary<string, DateTimeOffset> { ["processed"] = sent.AddHours(-3) });
        await h.PollAsync();
        Assert.Equal("processed", await StatusAsync(h, recent));

        h.Time.Advance(TimeSpan.FromMinutes(20));
        h.Sandbox.SetEmailStatus(recent, "delivered", h.Time.GetUtcNow().AddMinutes(-1));
        h.Sandbox.SetEmailStatus(recent, "open", h.Time.GetUtcNow());
        h.Sandbox.SetEmailStatus(old, "open", h.Time.GetUtcNow());
        await h.PollAsync();

        Assert.Equal("open", await StatusAsync(h, recent));
        var row = Assert.Single(await h.EmailRowsAsync(), r => r.RowKey == recent);
        Assert.Equal(h.Time.GetUtcNow(), row.GetDateTimeOffset("Status_open"));
        Assert.Equal(sent.AddSeconds(1), row.GetDateTimeOffset("Status_processed"));

        // Three hours after sending is outside the one-hour overlap: the documented trade-off (docs/POLLING.md).
        Assert.Equal("processed", await StatusAsync(h, old));
    }

    [Fact]
    public async Task Emails_and_events_created_and_changed_while_a_poll_runs_are_stored_by_that_poll_or_the_next()
    {
        await using var h = await StartAsync(azurite, s => s["EmailSenders"] = Coach, maxRetryAttempts: 1);
        var now = h.Time.GetUtcNow();
        var backlog = h.Sandbox.AddEmailHistories(12, Coach, Patients, now.AddMinutes(-1), TimeSpan.FromMinutes(2));
        var eventId = await h.CreateEventAsync(Patients[0], now.AddDays(2));
        await h.TwineEventsAsync(); // token fetched before the faults count requests

        // Page 2 of the coach's emails is rate-limited once: the run waits 30 s (fake) on Retry-After and changes land meanwhile.
        h.Sandbox.Faults.Add("GET", EmailRoute, FaultKind.TooManyRequests, count: 1, retryAfter: TimeSpan.FromSeconds(30), after: 1);
        var run = h.PollAsync();
        Assert.True(SpinWait.SpinUntil(() => h.Sandbox.RequestCount("GET", EmailRoute) >= 2 || run.IsCompleted, TimeSpan.FromSeconds(30)));
        Assert.False(run.IsCompleted);

        var newer = h.Sandbox.AddEmailHistory(Coach, Patients[1], h.Time.GetUtcNow());
        h.Sandbox.SetEmailStatus(backlog[0], "open", h.Time.GetUtcNow());   // on page 1, stored already
        h.Sandbox.SetEmailStatus(backlog[11], "click", h.Time.GetUtcNow()); // on page 3, not read yet
        await h.Twine.UpdateCalendarEventAsync(new CalendarEventUpdateResource { Id = eventId, Attributes = new CalendarEventUpdateAttributes { StartAt = now.AddDays(3), EndAt = now.AddDays(3).AddMinutes(30) } }, PollingHarness.Ct);
        var created = await h.CreateEventAsync(Patients[1], now.AddDays(4));

        var first = await h.Time.DriveAsync(run, TimeSpan.FromSeconds(5), () => h.Sandbox.RequestCount("GET", EmailRoute) < 3 && h.Sandbox.InFlightRequests == 0);
        Assert.True(first.CaughtUp);

        h.Time.Advance(TimeSpan.FromMinutes(5));
        var second = await h.PollAsync();
        Assert.True(second.CaughtUp);

        Assert.Equal(EmailDigest(await h.TwineEmailsAsync(Coach)), EmailDigest(await h.EmailRowsAsync()));
        Assert.Contains(await h.EmailRowsAsync(), r => r.RowKey == newer);
        Assert.Equal(EventDigest(await h.TwineEventsAsync()), EventDigest(await h.EventRowsAsync()));
        Assert.Contains(await h.EventRowsAsync(), r => r.PartitionKey == created);
    }

    [Fact]
    public async Task A_poll_that_fails_half_way_keeps_the_old_watermark_and_the_next_run_loses_and_duplicates_nothing()
    {
        await using var h = await StartAsync(azurite, s => s["EmailSenders"] = Coach);
        var now = h.Time.GetUtcNow();
        h.Sandbox.AddEmailHistories(30, Coach, Patients, now.AddMinutes(-1), TimeSpan.FromMinutes(1));
        for (var i = 0; i < 8; i++)
        {
            await h.CreateEventAsync(Patients[i % 3], now.AddDays(1 + i));
        }

        await h.TwineEventsAsync();
        var stream = EmailHistoryPoller.StreamName(Coach);
        h.Sandbox.Faults.Add("GET", EventRoute, FaultKind.InternalServerError, count: 1, after: 1);
        h.Sandbox.Faults.Add("GET", EmailRoute, FaultKind.InternalServerError, count: 1, after: 3);

        // Calendar: page 2 fails, and Twine is then treated as unavailable for the rest of the run.
        var failed = await h.PollAsync();
        Assert.Equal(StreamOutcome.TwineUnavailable, Assert.Single(failed.Streams).Outcome);
        var calendarCheckpoint = await h.CheckpointAsync(CalendarEventPoller.StreamName(Organization));
        Assert.Null(calendarCheckpoint.Watermark);
        Assert.True(calendarCheckpoint.HasResume);
        Assert.Equal(5, (await h.EventRowsAsync()).Count);

        // Next run: the calendar finishes from its cursor; the emails fail on page 4.
        var second = await h.PollAsync();
        Assert.Equal(StreamOutcome.CaughtUp, second.Streams[0].Outcome);
        Assert.Equal(StreamOutcome.TwineUnavailable, second.Streams[1].Outcome);
        Assert.Equal(EventDigest(await h.TwineEventsAsync()), EventDigest(await h.EventRowsAsync()));
        var emailCheckpoint = await h.CheckpointAsync(stream);
        Assert.Null(emailCheckpoint.Watermark);
        Assert.Equal("4", emailCheckpoint.ResumePosition);
        Assert.Equal(15, (await h.EmailRowsAsync()).Count);

        var third = await h.PollAsync();
        Assert.True(third.CaughtUp);
        var emails = await h.TwineEmailsAsync(Coach);
        var rows = await h.EmailRowsAsync();
        Assert.Equal(emails.Count, rows.Count);
        Assert.Equal(EmailDigest(emails), EmailDigest(rows));
        Assert.Equal(now.AddMinutes(-1), (await h.CheckpointAsync(stream)).Watermark);
        Assert.False((await h.CheckpointAsync(stream)).HasResume);
    }

    [Fact]
    public async Task Two_runs_at_once_leave_consistent_tables_and_a_checkpoint_that_never_moves_back()
    {
        await using var h = await StartAsync(azurite);
        var now = h.Time.GetUtcNow();
        h.Sandbox.AddEmailHistories(40, Coach, Patients, now.AddMinutes(-1), TimeSpan.FromMinutes(1));
        h.Sandbox.AddEmailHistories(15, SecondCoach, Patients, now.AddMinutes(-2), TimeSpan.FromMinutes(1));
        for (var i = 0; i < 7; i++)
        {
            await h.CreateEventAsync(Patients[i % 3], now.AddDays(1 + i));
        }

        var polledAt = h.Time.GetUtcNow();
        var results = await Task.WhenAll(h.PollAsync(), h.PollAsync(), h.PollAsync());

        Assert.All(results, r => Assert.True(r.CaughtUp));
        Assert.Equal(EmailDigest(await h.TwineEmailsAsync()), EmailDigest(await h.EmailRowsAsync()));
        Assert.Equal(EventDigest(await h.TwineEventsAsync()), EventDigest(await h.EventRowsAsync()));
        Assert.Equal(now.AddMinutes(-1), (await h.CheckpointAsync(EmailHistoryPoller.StreamName(Coach))).Watermark);
        Assert.Equal(now.AddMinutes(-2), (await h.CheckpointAsync(EmailHistoryPoller.StreamName(SecondCoach))).Watermark);
        Assert.Equal(polledAt, (await h.CheckpointAsync(CalendarEventPoller.StreamName(Organization))).Watermark);
    }

    [Fact]
    public async Task A_run_that_loses_the_checkpoint_race_only_moves_it_forward()
    {
        await using var h = await StartAsync(azurite);
        const string stream = "email_history.sender.race";
        var t0 = h.Time.GetUtcNow();
        var first = await h.Checkpoints.CompleteAsync(await h.CheckpointAsync(stream), t0, PollingHarness.Ct);

        // Two runs read the same row; the faster one completes to t0 + 2 h, the slower one then tries t0 + 1 h.
        var slowRead = await h.CheckpointAsync(stream);
        var fastRead = await h.CheckpointAsync(stream);
        await h.Checkpoints.CompleteAsync(fastRead, t0.AddHours(2), PollingHarness.Ct);
        var slow = await h.Checkpoints.CompleteAsync(slowRead, t0.AddHours(1), PollingHarness.Ct);
        Assert.Equal(t0.AddHours(2), slow.Watermark);
        Assert.Equal(t0.AddHours(2), (await h.CheckpointAsync(stream)).Watermark);

        // A stale run saving progress for a range already covered leaves the checkpoint alone.
        var saved = await h.Checkpoints.SaveProgressAsync(slowRead, t0, t0.AddHours(1), "7", PollingHarness.Ct);
        Assert.False(saved.HasResume);
        Assert.False((await h.CheckpointAsync(stream)).HasResume);

        // A newer range's progress is kept, and a later completion below it does not clear it.
        var current = await h.CheckpointAsync(stream);
        await h.Checkpoints.SaveProgressAsync(current, t0.AddHours(1), t0.AddHours(5), "3", PollingHarness.Ct);
        await h.Checkpoints.CompleteAsync(current, t0.AddHours(3), PollingHarness.Ct);
        var last = await h.CheckpointAsync(stream);
        Assert.Equal(t0.AddHours(3), last.Watermark);
        Assert.Equal("3", last.ResumePosition);
        Assert.Equal(t0.AddHours(5), last.ResumeUntil);
        Assert.NotNull(first);
    }

    [Fact]
    public async Task A_429_with_Retry_After_slows_the_poll_down_instead_of_failing_it()
    {
        await using var h = await StartAsync(azurite, s => s["EmailSenders"] = Coach, maxRetryAttempts: 3);
        h.Sandbox.AddEmailHistories(12, Coach, Patients, h.Time.GetUtcNow().AddMinutes(-1), TimeSpan.FromMinutes(1));
        await h.TwineEventsAsync();
        var started = h.Time.GetUtcNow();
        h.Sandbox.Faults.Add("GET", EmailRoute, FaultKind.TooManyRequests, count: 2, retryAfter: TimeSpan.FromSeconds(20), after: 1);

        var result = await h.Time.DriveAsync(h.PollAsync(), TimeSpan.FromSeconds(1), () => h.Sandbox.RequestCount("GET", EmailRoute) < 4 && h.Sandbox.InFlightRequests == 0);

        Assert.True(result.CaughtUp);
        Assert.True(h.Time.GetUtcNow() - started >= TimeSpan.FromSeconds(40), "two Retry-After waits of 20 s");
        Assert.Equal(EmailDigest(await h.TwineEmailsAsync(Coach)), EmailDigest(await h.EmailRowsAsync()));
    }

    [Fact]
    public async Task A_persistent_429_ends_the_run_cleanly_with_the_checkpoint_kept_and_the_next_run_catches_up()
    {
        await using var h = await StartAsync(azurite);
        h.Sandbox.AddEmailHistories(8, Coach, Patients, h.Time.GetUtcNow().AddMinutes(-1), TimeSpan.FromMinutes(1));
        await h.PollAsync();
        var before = await h.CheckpointAsync(CalendarEventPoller.StreamName(Organization));
        h.Time.Advance(TimeSpan.FromMinutes(5));
        await h.CreateEventAsync(Patients[0], h.Time.GetUtcNow().AddDays(1));
        h.Sandbox.Faults.Add("GET", EventRoute, FaultKind.TooManyRequests, count: 100, retryAfter: TimeSpan.FromSeconds(30));

        var limited = await h.PollAsync();

        var stream = Assert.Single(limited.Streams); // the email streams wait for the next run
        Assert.Equal(StreamOutcome.TwineUnavailable, stream.Outcome);
        var after = await h.CheckpointAsync(CalendarEventPoller.StreamName(Organization));
        Assert.Equal(before.Watermark, after.Watermark);
        Assert.Contains(h.App.Logs.GetSnapshot(), l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning && l.Message.Contains("429", StringComparison.Ordinal));

        h.Sandbox.Faults.Clear();
        var next = await h.PollAsync();
        Assert.True(next.CaughtUp);
        Assert.Equal(EventDigest(await h.TwineEventsAsync()), EventDigest(await h.EventRowsAsync()));
    }

    [Fact]
    public async Task A_run_stops_at_its_time_budget_and_the_next_continues_from_the_checkpoint()
    {
        // The budget clock moves a minute whenever the poller reads it: with 3 minutes a run reads two or three pages.
        var budgetClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestApp.Start) { AutoAdvanceAmount = TimeSpan.FromMinutes(1) };
        await using var h = await StartAsync(azurite, s =>
        {
            s["EmailSenders"] = Coach;
            s["TimeBudget"] = "00:03:00";
            s["EmailOverlap"] = "00:00:00"; // else every catch-up re-reads the whole (1-minute apart) backlog, more than one run reads
        }, pollerTime: budgetClock);
        var now = h.Time.GetUtcNow();
        h.Sandbox.AddEmailHistories(40, Coach, Patients, now.AddMinutes(-1), TimeSpan.FromMinutes(1));
        var stream = EmailHistoryPoller.StreamName(Coach);

        var first = await h.PollAsync();
        Assert.False(first.CaughtUp);
        var checkpoint = await h.CheckpointAsync(stream);
        Assert.True(checkpoint.HasResume);
        Assert.Null(checkpoint.Watermark);
        var storedFirst = (await h.EmailRowsAsync()).Count;
        Assert.InRange(storedFirst, 1, 40);

        // Newer emails arrive between runs: they push the backlog down a page, which is read twice, never skipped.
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var arrived = h.Sandbox.AddEmailHistories(6, Coach, Patients, h.Time.GetUtcNow(), TimeSpan.FromSeconds(5));

        var runs = 1;
        PollResult last;
        do
        {
            last = await h.PollAsync();
            runs++;
        }
        while (!last.CaughtUp && runs < 30);

        Assert.True(last.CaughtUp);
        Assert.Equal(EmailDigest(await h.TwineEmailsAsync(Coach)), EmailDigest(await h.EmailRowsAsync()));
        Assert.Contains(await h.EmailRowsAsync(), r => r.RowKey == arrived[0]);
        var done = await h.CheckpointAsync(stream);
        Assert.False(done.HasResume);
        Assert.Equal(h.Time.GetUtcNow(), done.Watermark);

        // Continuing from the saved page, not from the top: about one page per run more than the backlog needs.
        var emailsTotal = (await h.TwineEmailsAsync(Coach)).Count;
        Assert.True(h.Sandbox.RequestCount("GET", EmailRoute) <= (emailsTotal / 5) + (2 * runs) + 2,
            $"{h.Sandbox.RequestCount("GET", EmailRoute)} email pages in {runs} runs for {emailsTotal} emails");
    }

    private static async Task<string?> StatusAsync(PollingHarness h, string emailId)
    {
        var response = await h.App.ExecuteAsync(await h.EmailHistoryQuery.HandleAsync(Patient, "1000", null, PollingHarness.Ct));
        Assert.Equal(200, response.Status);
        return response.Json["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == emailId)!["status"]?.GetValue<string>();
    }
}
