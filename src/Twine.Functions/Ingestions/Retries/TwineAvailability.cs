using System.Net;
using System.Net.Http.Headers;

namespace Twine.Functions.Ingestions.Retries;

/// <summary>
/// Whether Twine is answering, as this instance last saw it: one circuit per instance, fed by every HTTP attempt the
/// Twine client makes (<see cref="TwineAvailabilityHandler"/>, inside the client's resilience pipeline, so the client's
/// own retries count too). A transient failure (408, 429, 5xx, timeout, connection failure) opens it for a pause that
/// grows with consecutive failed probes (30 s, 1, 2, 5 min, then every <see cref="MaxPause"/>), or for Twine's
/// <c>Retry-After</c> if longer; while it is open the processors reschedule messages without calling Twine. When the
/// pause ends one caller (a probe) goes through; its success closes the circuit, and so does any success.
/// </summary>
public sealed class TwineAvailability(TimeProvider timeProvider)
{
    /// <summary>The longest pause between probes: an instance notices Twine is back within this (Retry-After aside).</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private int _consecutiveOpenings;
    private bool _probing;
    private DateTimeOffset _openUntil;
    private DateTimeOffset _retryAfterUntil;

    /// <summary>The last transient failure seen (status and kind only), e.g. "503 ServiceUnavailable".</summary>
    public string? LastFailure { get; private set; }

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return _consecutiveOpenings > 0;
            }
        }
    }

    /// <summary>
    /// True when the caller may call Twine now: the circuit is closed, or its pause is over and this caller is the probe
    /// (others keep waiting until the probe's answer, or until the next pause ends if it never reports).
    /// </summary>
    public bool TryEnter()
    {
        var now = timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (_consecutiveOpenings == 0)
            {
                return now >= _retryAfterUntil; // closed, unless Twine asked this client to slow down (ReportRateLimited)
            }

            if (now < _openUntil)
            {
                return false;
            }

            _probing = true;
            _openUntil = now + Pause(_consecutiveOpenings);
            return true;
        }
    }

    public static TimeSpan Pause(int consecutiveOpenings)
    {
        var step = RetrySchedule.Step(consecutiveOpenings);
        return step < MaxPause ? step : MaxPause;
    }

    /// <summary>How long callers should hold off from now: the pause left, or Twine's Retry-After left; zero when closed.</summary>
    public TimeSpan HoldOff()
    {
        var now = timeProvider.GetUtcNow();
        lock (_gate)
        {
            var until = _consecutiveOpenings > 0 && _openUntil > _retryAfterUntil ? _openUntil : _retryAfterUntil;
            return until > now ? until - now : TimeSpan.Zero;
        }
    }

    /// <summary>True while the only reason to hold off is a rate limit Twine announced (no outage pause).</summary>
    public bool IsRateLimited
    {
        get
        {
            var now = timeProvider.GetUtcNow();
            lock (_gate)
            {
                return _consecutiveOpenings == 0 && now < _retryAfterUntil;
            }
        }
    }

    /// <summary>
    /// A 429 that says when to come back: Twine is pacing this client, not failing. Callers hold off exactly that long
    /// (<see cref="TryEnter"/>, <see cref="HoldOff"/>), without the outage pause and its growing steps; a 429 without
    /// Retry-After is reported as a failure.
    /// </summary>
    public void ReportRateLimited(string failure, TimeSpan retryAfter)
    {
        var now = timeProvider.GetUtcNow();
        lock (_gate)
        {
            LastFailure = failure;
            if (now + retryAfter > _retryAfterUntil)
            {
                _retryAfterUntil = now + retryAfter;
            }

            if (_consecutiveOpenings > 0 && _retryAfterUntil > _openUntil)
            {
                _openUntil = _retryAfterUntil;
            }
        }
    }

    public void ReportSuccess()
    {
        lock (_gate)
        {
            _consecutiveOpenings = 0;
            _probing = false;
            _openUntil = default;
            _retryAfterUntil = default;
        }
    }

    /// <summary>
    /// A transient failure. Opens the circuit when it was closed, or reopens it longer when the probe failed; a failure of
    /// a call that started before the circuit opened only extends it by its Retry-After.
    /// </summary>
    public void ReportFailure(string failure, TimeSpan? retryAfter)
    {
        var now = timeProvider.GetUtcNow();
        lock (_gate)
        {
            LastFailure = failure;
            if (retryAfter is { } wait && now + wait > _retryAfterUntil)
            {
                _retryAfterUntil = now + wait;
            }

            if (_consecutiveOpenings == 0 || _probing)
            {
                _consecutiveOpenings++;
                _probing = false;
                var pause = Pause(_consecutiveOpenings);
                _openUntil = now + (retryAfter is { } r && r > pause ? r : pause);
            }
            else if (_retryAfterUntil > _openUntil)
            {
                _openUntil = _retryAfterUntil;
            }
        }
    }
}

/// <summary>
/// Reports each HTTP attempt to Twine to <see cref="TwineAvailability"/>: any answer but 408, 429 and 5xx is Twine
/// answering (a 4xx is Twine saying no on the merits); those three, timeouts and connection failures are transient.
/// Added to the Twine client's named HttpClient after its resilience handler, so it sits inside the pipeline.
/// </summary>
public sealed class TwineAvailabilityHandler(TwineAvailability availability) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            availability.ReportFailure("connection failure", null);
            throw;
        }
        catch (OperationCanceledException)
        {
            // The attempt's timeout (or the caller gave up): Twine did not answer in time.
            availability.ReportFailure("timeout", null);
            throw;
        }

        var status = (int)response.StatusCode;
        var retryAfter = RetryAfter(response.Headers.RetryAfter, response.Headers.Date);
        if (response.StatusCode is HttpStatusCode.TooManyRequests && retryAfter is { } pace)
        {
            availability.ReportRateLimited($"{status} {response.StatusCode}", pace);
        }
        else if (response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500)
        {
            availability.ReportFailure($"{status} {response.StatusCode}", retryAfter);
        }
        else
        {
            availability.ReportSuccess();
        }

        return response;
    }

    /// <summary>Retry-After as seconds or as an HTTP date (relative to the answer's Date header when there is one).</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset? answeredAt)
    {
        if (header?.Delta is { } delta)
        {
            return delta > TimeSpan.Zero ? delta : null;
        }

        if (header?.Date is { } date && answeredAt is { } sent)
        {
            var wait = date - sent;
            return wait > TimeSpan.Zero ? wait : null;
        }

        return null;
    }
}
