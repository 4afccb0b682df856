using Twine.Sandbox;
using Twine.Functions.EmailHistory;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.Tests.Polling;

/// <summary>
/// Email history is polled for every coach of the organization as Twine lists them (GET /coach?filter[organization]),
/// re-read every EmailSenderRefresh, so a coach who joins is polled without a settings change; the EmailSenders setting
/// adds senders, and is the whole list when discovery is off.
/// </summary>
public sealed class CoachDiscoveryTests(AzuriteFixture azurite)
{
    private static Action<Dictionary<string, string?>> Discovery(string? senders = "") => s =>
    {
        s["DiscoverEmailSenders"] = "true";
        s["EmailSenders"] = senders;
        s["EmailSenderRefresh"] = "01:00:00";
    };

    [Fact]
    public async Task Every_coach_of_the_organization_is_polled_and_a_new_coach_after_the_next_refresh()
    {
        await using var h = await PollingHarness.StartAsync(azurite, Discovery());
        var newcomer = h.Sandbox.AddCoach("Nina", "Newcoach");
        await h.PollAsync(); // the list is read now: the newcomer is in it already
        var later = h.Sandbox.AddCoach("Lars", "Latecoach");
        var latersEmail = h.Sandbox.AddEmailHistory(later, PollingHarness.Patient, h.Time.GetUtcNow().AddMinutes(-1));

        var cached = await h.PollAsync();
        h.Time.Advance(TimeSpan.FromHours(1));
        var refreshed = await h.PollAsync();

        var streams = cached.Streams.Select(s => s.Stream).ToList();
        Assert.Contains(EmailHistoryPoller.StreamName(PollingHarness.Coach), streams);
        Assert.Contains(EmailHistoryPoller.StreamName(PollingHarness.SecondCoach), streams);
        Assert.Contains(EmailHistoryPoller.StreamName(newcomer), streams);
        Assert.DoesNotContain(EmailHistoryPoller.StreamName(later), streams); // not until the list is read again
        Assert.Contains(EmailHistoryPoller.StreamName(later), refreshed.Streams.Select(s => s.Stream));
        Assert.Contains(await h.EmailRowsAsync(), r => r.RowKey == latersEmail);
        Assert.Equal(2, h.Sandbox.RequestCount("GET", "/coach")); // once per refresh, not per run
    }

    [Fact]
    public async Task Configured_senders_are_added_and_are_the_only_ones_without_discovery()
    {
        const string outsider = "581630c3237d84a9403533c6";
        await using (var h = await PollingHarness.StartAsync(azurite, Discovery(outsider)))
        {
            var result = await h.PollAsync();
            Assert.Equal(3, result.Streams.Count); // the calendar stream and the two seeded coaches, the configured one not twice
        }

        await using (var h = await PollingHarness.StartAsync(azurite, s => s["EmailSenders"] = PollingHarness.Coach))
        {
            var result = await h.PollAsync();
            Assert.Equal([EmailHistoryPoller.StreamName(PollingHarness.Coach)], result.Streams.Skip(1).Select(s => s.Stream));
            Assert.Equal(0, h.Sandbox.RequestCount("GET", "/coach"));
        }
    }

    [Fact]
    public async Task When_Twine_does_not_list_the_coaches_the_known_and_configured_senders_are_polled()
    {
        await using var h = await PollingHarness.StartAsync(azurite, Discovery(PollingHarness.Coach));
        h.Sandbox.Faults.Add("GET", "/coach", FaultKind.ServiceUnavailable);

        var first = await h.PollAsync();
        var second = await h.PollAsync(); // read again at once: no list was kept

        Assert.Equal([EmailHistoryPoller.StreamName(PollingHarness.Coach)], first.Streams.Skip(1).Select(s => s.Stream));
        Assert.Equal(3, second.Streams.Count);
        Assert.All(second.Streams, s => Assert.Equal(StreamOutcome.CaughtUp, s.Outcome));
    }
}
