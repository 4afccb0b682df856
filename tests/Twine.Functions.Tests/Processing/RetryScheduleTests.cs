using Twine.Functions.Ingestions.Retries;












namespace Twine.Functions.Tests.Processing;

/// <summary>The pure schedule: attempt → delay, jitter from a sample, Retry-After as a floor, the give-up age.</summary>
public sealed class RetryScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(3, 120)]
    [InlineData(4, 300)]
    [InlineData(5, 600)]
    [InlineData(6, 1800)]
    [InlineData(7, 3600)]
    [InlineData(8, 3600)]
    [InlineData(500, 3600)]
    public void Delays_grow_then_stay_hourly_with_jitter_of_twenty_percent(int attempt, int stepSeconds)
    {
        var step = TimeSpan.FromSeconds(stepSeconds);

        Assert.Equal(step * 0.8, RetrySchedule.Delay(attempt, 0.0));
        Assert.Equal(step, RetrySchedule.Delay(attempt, 0.5));
        Assert.True(RetrySchedule.Delay(attempt, 0.999999) < step * 1.2);
        Assert.True(RetrySchedule.Delay(attempt, 0.999999) > step * 1.19);
    }

    [Fact]
    public void A_seeded_random_gives_the_same_delays_and_they_spread()
    {
        var a = new Random(7);
        var b = new Random(7);
        var delays = Enumerable.Range(0, 50).Select(_ => RetrySchedule.Delay(1, a.NextDouble())).ToList();

        Assert.Equal(delays, Enumerable.Range(0, 50).Select(_ => RetrySchedule.Delay(1, b.NextDouble())));
        Assert.True(delays.Distinct().Count() > 40);
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(24), TimeSpan.FromSeconds(36)));
    }

    [Fact]
    public void Retry_after_is_a_floor_and_storage_visibility_a_ceiling()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), RetrySchedule.Delay(1, 0.5, floor: TimeSpan.FromMinutes(10)));
        Assert.Equal(TimeSpan.FromSeconds(30), RetrySchedule.Delay(1, 0.5, floor: TimeSpan.FromSeconds(5))); // a shorter one changes nothing
        Assert.Equal(RetrySchedule.MaxVisibilityDelay, RetrySchedule.Delay(1, 0.5, floor: TimeSpan.FromDays(30)));
        Assert.True(RetrySchedule.MaxVisibilityDelay < TimeSpan.FromDays(7));
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrySchedule.Delay(0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrySchedule.Delay(1, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrySchedule.Delay(1, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrySchedule.Delay(1, double.NaN));
    }

    [Fact]
    public void The_give_up_age_ends_the_retries_and_the_last_attempt_runs_at_it()
    {
        var day = TimeSpan.FromHours(24);

        var early = RetrySchedule.Next(3, Now, Now - TimeSpan.FromMinutes(2), day, 0.5);
        var nearTheEnd = RetrySchedule.Next(30, Now, Now - day + TimeSpan.FromMinutes(10), day, 0.5);
        var over = RetrySchedule.Next(31, Now, Now - day, day, 0.5);

        Assert.Equal((false, TimeSpan.FromMinutes(2), Now + TimeSpan.FromMinutes(2)), (early.GiveUp, early.Delay, early.NextAttemptAt));
        Assert.Equal((false, TimeSpan.FromMinutes(10)), (nearTheEnd.GiveUp, nearTheEnd.Delay)); // cut from an hour to the give-up age
        Assert.True(over.GiveUp);
    }

    [Fact]
    public void A_retry_after_beyond_the_give_up_age_is_still_honoured_once()
    {
        var decision = RetrySchedule.Next(5, Now, Now - TimeSpan.FromHours(23.9), TimeSpan.FromHours(24), 0.5, floor: TimeSpan.FromHours(1));

        Assert.Equal((false, TimeSpan.FromHours(1)), (decision.GiveUp, decision.Delay));
    }

    [Fact]
    public void Across_a_day_a_message_is_tried_about_thirty_times()
    {
        var first = Now;
        var now = Now;
        var attempts = 1;
        var random = new Random(1);
        while (RetrySchedule.Next(attempts, now, first, TimeSpan.FromHours(24), random.NextDouble()) is { GiveUp: false } next)
        {
            now = next.NextAttemptAt;
            attempts++;
        }

        Assert.InRange(attempts, 25, 35);
        Assert.Equal(first + TimeSpan.FromHours(24), now); // the last try runs at the give-up age
    }
}
