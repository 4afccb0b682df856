using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using Twine.Functions.Ingestions.Retries;

namespace Twine.Functions.Tests.Processing;

/// <summary>The per-instance circuit: opened by a failure, one probe per pause, closed by the first success; fed by each HTTP attempt.</summary>
public sealed class TwineAvailabilityTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_failure_pauses_every_caller_until_one_probe_goes_through()
    {
        var twine = new TwineAvailability(_time);
        Assert.True(twine.TryEnter());

        twine.ReportFailure("503 ServiceUnavailable", null);

        Assert.False(twine.TryEnter());
        Assert.Equal(TimeSpan.FromSeconds(30), twine.HoldOff());
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(twine.TryEnter());  // the probe
        Assert.False(twine.TryEnter()); // the others wait for its answer
        Assert.Equal("503 ServiceUnavailable", twine.LastFailure);
    }

    [Fact]
    public void Failed_probes_lengthen_the_pause_up_to_five_minutes_and_late_failures_do_not()
    {
        var twine = new TwineAvailability(_time);
        twine.ReportFailure("503", null);
        twine.ReportFailure("503", null); // another call that started before the circuit opened
        Assert.Equal(TimeSpan.FromSeconds(30), twine.HoldOff());

        var pauses = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            _time.Advance(twine.HoldOff());
            Assert.True(twine.TryEnter());
            twine.ReportFailure("503", null);
            pauses.Add(twine.HoldOff());
        }

        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5)], pauses);
    }

    [Fact]
    public void The_first_success_closes_it()
    {
        var twine = new TwineAvailability(_time);
        twine.ReportFailure("503", null);

        twine.ReportSuccess();

        Assert.True(twine.TryEnter());
        Assert.True(twine.TryEnter());
        Assert.Equal(TimeSpan.Zero, twine.HoldOff());
    }

    [Fact]
    public void A_rate_limit_holds_off_exactly_as_long_as_twine_asked_and_never_escalates()
    {
        var twine = new TwineAvailability(_time);
        for (var i = 0; i < 5; i++)
        {
            twine.ReportRateLimited("429 TooManyRequests", TimeSpan.FromSeconds(2));
            Assert.False(twine.TryEnter());
            Assert.Equal((true, false, TimeSpan.FromSeconds(2)), (twine.IsRateLimited, twine.IsOpen, twine.HoldOff()));
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.True(twine.TryEnter()); // not 30 s, 1 min, 2 min: a rate limit is not an outage
        }

        Assert.Equal("429 TooManyRequests", twine.LastFailure);
    }

    [Fact]
    public void A_rate_limit_during_an_outage_pause_extends_it_only_when_longer()
    {
        var twine = new TwineAvailability(_time);
        twine.ReportFailure("503 ServiceUnavailable", null);
        twine.ReportRateLimited("429 TooManyRequests", TimeSpan.FromSeconds(5));
        Assert.Equal(TwineAvailability.Pause(1), twine.HoldOff());
        twine.ReportRateLimited("429 TooManyRequests", TimeSpan.FromMinutes(3));
        Assert.Equal(TimeSpan.FromMinutes(3), twine.HoldOff());
        Assert.False(twine.IsRateLimited); // the outage pause is still what holds it
    }

    [Fact]
    public void Retry_after_sets_the_pause_when_longer()
    {
        var twine = new TwineAvailability(_time);
        twine.ReportFailure("429 TooManyRequests", TimeSpan.FromMinutes(10));
        Assert.Equal(TimeSpan.FromMinutes(10), twine.HoldOff());

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.True(twine.TryEnter());
    }

    [Fact]
    public async Task The_handler_reports_each_attempt_and_reads_retry_after()
    {
        var twine = new TwineAvailability(_time);
        var answers = new Queue<Func<HttpResponseMessage>>(
        [
            () => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Headers = { RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(120)) } },
            () => new HttpResponseMessage(HttpStatusCode.NotFound), // Twine answering: a 4xx closes it
            () => throw new HttpRequestException("refused"),
        ]);
        using var client = new HttpMessageInvoker(new TwineAvailabilityHandler(twine) { InnerHandler = new Answers(answers) });

        (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://twine.test/"), CancellationToken.None)).Dispose();
        Assert.Equal((TimeSpan.FromSeconds(120), "503 ServiceUnavailable"), (twine.HoldOff(), twine.LastFailure));
        (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://twine.test/"), CancellationToken.None)).Dispose();
        Assert.Equal(TimeSpan.Zero, twine.HoldOff());
        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://twine.test/"), CancellationToken.None));
        Assert.Equal((TimeSpan.FromSeconds(30), "connection failure"), (twine.HoldOff(), twine.LastFailure));
    }

    [Fact]
    public async Task The_handler_reports_a_429_with_retry_after_as_a_rate_limit_and_one_without_as_a_failure()
    {
        var twine = new TwineAvailability(_time);
        var answers = new Queue<Func<HttpResponseMessage>>(
        [
            () => new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(1)) } },
            () => new HttpResponseMessage(HttpStatusCode.TooManyRequests),
        ]);
        using var client = new HttpMessageInvoker(new TwineAvailabilityHandler(twine) { InnerHandler = new Answers(answers) });

        (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://twine.test/"), CancellationToken.None)).Dispose();
        Assert.Equal((true, false, TimeSpan.FromSeconds(1)), (twine.IsRateLimited, twine.IsOpen, twine.HoldOff()));
        _time.Advance(TimeSpan.FromSeconds(1));
        (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://twine.test/"), CancellationToken.None)).Dispose();
        Assert.Equal((false, true, TimeSpan.FromSeconds(30)), (twine.IsRateLimited, twine.IsOpen, twine.HoldOff()));
    }

    [Fact]
    public void Retry_after_as_a_date_is_read_against_the_answers_date()
    {
        var sent = new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromMinutes(3), TwineAvailabilityHandler.RetryAfter(new RetryConditionHeaderValue(sent.AddMinutes(3)), sent));
        Assert.Null(TwineAvailabilityHandler.RetryAfter(new RetryConditionHeaderValue(sent.AddMinutes(-3)), sent));
        Assert.Null(TwineAvailabilityHandler.RetryAfter(null, sent));
    }

    private sealed class Answers(Queue<Func<HttpResponseMessage>> answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answers.Dequeue()());
    }
}
