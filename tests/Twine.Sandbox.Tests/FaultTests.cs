using System.Diagnostics;
using System.Net;

namespace Twine.Sandbox.Tests;

public sealed class FaultTests : SandboxHost
{
    private string _path = $"patient/{PatientId}";

    [Fact]
    public async Task A_too_many_requests_fault_answers_429_with_retry_after_for_its_count_of_requests_only()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("GET", "/patient/{id}", FaultKind.TooManyRequests, count: 2, retryAfter: TimeSpan.FromSeconds(3));

        for (var i = 0; i < 2; i++)
        {
            var reply = await Send(HttpMethod.Get, _path, token: token);
            reply.AssertError((HttpStatusCode)429, "TooManyRequests");
            Assert.Equal(TimeSpan.FromSeconds(3), reply.Headers.RetryAfter?.Delta);
        }

        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
        Assert.Equal(3, Server.RequestCount("GET", "/patient/{id}"));
    }

    [Fact]
    public async Task A_fault_on_one_route_leaves_the_other_routes_alone()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("PATCH", "/patient/{id}", FaultKind.InternalServerError);
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
        Server.Faults.Clear();
    }

    [Fact]
    public async Task An_internal_server_error_fault_answers_500_in_the_error_shape_once()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("GET", "/patient/{id}", FaultKind.InternalServerError);
        (await Send(HttpMethod.Get, _path, token: token)).AssertError(HttpStatusCode.InternalServerError, "InternalServerError");
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
    }

    [Fact]
    public async Task A_fault_with_after_lets_that_many_requests_through_first()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("GET", "/patient/{id}", FaultKind.InternalServerError, count: 1, after: 2);
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
        (await Send(HttpMethod.Get, _path, token: token)).AssertError(HttpStatusCode.InternalServerError, "InternalServerError");
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
    }

    [Fact]
    public async Task A_service_unavailable_fault_answers_503_in_the_error_shape()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("GET", "/patient/{id}", FaultKind.ServiceUnavailable, count: 1);
        (await Send(HttpMethod.Get, _path, token: token)).AssertError(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
    }

    [Fact]
    public async Task A_delay_fault_waits_then_answers_normally()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("GET", "/patient/{id}", FaultKind.Delay, count: 1, delay: TimeSpan.FromMilliseconds(200));

        var watch = Stopwatch.StartNew();
        var reply = await Send(HttpMethod.Get, _path, token: token);
        watch.Stop();

        reply.AssertOk();
        Assert.Equal(PatientId, (string?)reply.Data["id"]);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(180), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task A_dropped_token_request_is_an_HttpRequestException_and_the_next_one_gets_a_token()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("POST", "/oauth/token", FaultKind.DropConnection, count: 1);

        await Assert.ThrowsAsync<HttpRequestException>(() => Http.PostAsync("oauth/token", TokenBody(), Ct));
        Assert.Equal(2, Server.RequestCount("POST", "/oauth/token"));
        Assert.False(string.IsNullOrEmpty(await NewTokenAsync()));
        _ = token;
    }

    [Fact]
    public async Task A_drop_connection_fault_drops_its_count_of_gets_then_the_next_succeeds()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("GET", "/patient/{id}", FaultKind.DropConnection, count: 2);
        await Assert.ThrowsAsync<HttpRequestException>(() => Send(HttpMethod.Get, _path, token: token));
        await Assert.ThrowsAsync<HttpRequestException>(() => Send(HttpMethod.Get, _path, token: token));
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
        Assert.Equal(3, Server.RequestCount("GET", "/patient/{id}"));
    }

    [Fact]
    public async Task Faults_apply_in_the_order_they_were_added_however_the_route_is_written()
    {
        var token = await NewTokenAsync();
        Server.Faults.Add("GET", "patient/{id}", FaultKind.ServiceUnavailable);
        Server.Faults.Add("/GET".TrimStart('/'), "/pub/patient/{id}", FaultKind.InternalServerError);
        (await Send(HttpMethod.Get, _path, token: token)).AssertError(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        (await Send(HttpMethod.Get, _path, token: token)).AssertError(HttpStatusCode.InternalServerError, "InternalServerError");
        (await Send(HttpMethod.Get, _path, token: token)).AssertOk();
    }

    [Fact]
    public void Adding_a_fault_with_a_count_below_one_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Server.Faults.Add("GET", "/patient/{id}", FaultKind.Delay, count: 0));
    }
}
