using System.Diagnostics;
using Twine.Functions.Tests.Infrastructure;
using static Twine.Functions.Tests.Polling.PollingHarness;
using Twine.Functions.EmailHistory;

namespace Twine.Functions.Tests.Polling;

/// <summary>
/// The 10,000-email backlog as a test (explicit: run with <c>dotnet test --project tests/Twine.Functions.Tests -- --explicit on
/// --filter-class "*PollingBacklogTests"</c>). The figures for docs/PERFORMANCE.md come from the benchmark harness
/// (<c>dotnet run -c Release --project benchmarks/Twine.Benchmarks -- poll</c>).
/// </summary>
public sealed class PollingBacklogTests(AzuriteFixture azurite)
{
    [Fact(Explicit = true)]
    public async Task A_backlog_of_10000_emails_is_stored_in_one_run_with_one_Twine_call_per_page()
    {
        await using var h = await StartAsync(azurite, s =>
        {
            s["EmailSenders"] = Coach;
            s["PageSize"] = "200";
            s["TimeBudget"] = "00:09:00";
        });
        h.Sandbox.AddEmailHistories(10_000, Coach, [Patient, .. Patients], h.Time.GetUtcNow().AddMinutes(-1), TimeSpan.FromSeconds(30));

        var watch = Stopwatch.StartNew();
        var result = await h.PollAsync();
        watch.Stop();

        Assert.True(result.CaughtUp);
        var pollGets = h.Sandbox.RequestCount("GET", "/email_history");
        var emails = await h.TwineEmailsAsync(Coach);
        var rows = await h.EmailRowsAsync();
        Assert.Equal(emails.Count, rows.Count);
        Assert.Equal(EmailDigest(emails), EmailDigest(rows));
        Assert.Equal((emails.Count + 199) / 200, pollGets);
        Assert.False((await h.CheckpointAsync(EmailHistoryPoller.StreamName(Coach))).HasResume);
        TestContext.Current.SendDiagnosticMessage($"10,000 emails: {watch.Elapsed.TotalSeconds:F1} s, {result.Pages} pages, {result.RowsWritten} rows, {result.StorageRequests} table requests");
    }
}
