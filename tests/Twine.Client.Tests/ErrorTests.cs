using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Twine.Client.Auth;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Queries;
using Twine.Client.Tests.Infrastructure;

namespace Twine.Client.Tests;

/// <summary>Each Twine error code arrives as one TwineApiException with its details and req_id, and no bodies.</summary>
public sealed class ErrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InvalidBodyParameter_carries_the_pointer_and_names_it_in_the_message()
    {
        await using var host = await TwineTestHost.StartAsync();
        var secretTitle = "";
        var calendarEvent = OperationsTests.NewCheckIn(new DateTimeOffset(2025, 2, 3, 0, 0, 0, TimeSpan.Zero), title: secretTitle);

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.CreateCalendarEventAsync(calendarEvent, Ct));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        var error = Assert.Single(ex.Errors);
        Assert.Equal(TwineErrorCodes.InvalidBodyParameter, error.Code);
        Assert.Equal("/data/attributes/title", error.Source?.Pointer);
        Assert.Equal("409", error.Status);
        Assert.False(ex.IsTransient);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.Equal($"createCalendarEvent failed: 409 InvalidBodyParameter (/data/attributes/title) req_id={ex.RequestId}", ex.Message);
    }

    [Fact]
    public async Task InvalidParameter_carries_the_parameter()
    {
        await using var host = await TwineTestHost.StartAsync();

        // No filter at all: the spec requires one of patient, groups, organization or attendees.
        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchCalendarEventsAsync(new CalendarEventQuery(), Ct));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        Assert.Equal(TwineErrorCodes.InvalidParameter, ex.ErrorCode);
        Assert.StartsWith("filter[", ex.Errors[0].Source?.Parameter);
        Assert.Contains($"InvalidParameter ({ex.Errors[0].Source!.Parameter})", ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task An_unknown_id_is_a_non_transient_ResourceNotFound_naming_the_operation()
    {
        await using var host = await TwineTestHost.StartAsync();

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchPatientAsync("000000000000000000000000", Ct));

        Assert.Equal(TwineErrorCodes.ResourceNotFound, ex.ErrorCode);
        Assert.Equal("fetchPatient", ex.Operation);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.False(ex.IsTransient);
        Assert.StartsWith($"fetchPatient failed: {(int)ex.StatusCode!} ResourceNotFound", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_bearer_token_surfaces_as_a_non_transient_Unauthorized()
    {
        await using var host = await TwineTestHost.StartAsync(http: b => b.AddHttpMessageHandler(() => new TamperingHandler(request =>
        {
            request.Headers.Authorization = null;
            return Task.CompletedTask;
        })));

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchCoachAsync(Seed.Coach, Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal(TwineErrorCodes.Unauthorized, ex.ErrorCode);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Wrong_credentials_surface_as_InvalidCredentials_without_the_secret_in_the_message()
    {
        await using var host = await TwineTestHost.StartAsync();

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.CreateTokenAsync(new TwineCredentials("nobody", "wrong"), Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal(TwineErrorCodes.InvalidCredentials, ex.ErrorCode);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.DoesNotContain("wrong", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_media_type_other_than_JSON_API_surfaces_as_a_non_transient_Forbidden()
    {
        // The client always sends application/vnd.api+json; a handler breaks it to reach the answer.
        await using var host = await TwineTestHost.StartAsync(http: b => b.AddHttpMessageHandler(() => new TamperingHandler(request =>
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/group", StringComparison.Ordinal))
            {
                request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
            }

            return Task.CompletedTask;
        })));

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.CreateGroupAsync(new GroupResource { Attributes = new GroupAttributes { Name = "x" } }, Ct));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal(TwineErrorCodes.Forbidden, ex.ErrorCode);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task A_grant_other_than_client_credentials_surfaces_as_InvalidGrantType_from_createToken()
    {
        // The client only ever asks for client_credentials; a handler changes the grant to reach the answer.
        await using var host = await TwineTestHost.StartAsync(http: b => b.AddHttpMessageHandler(() => new TamperingHandler(async request =>
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/oauth/token", StringComparison.Ordinal))
            {
                var body = await request.Content!.ReadAsStringAsync();
                var content = new StringContent(body.Replace("client_credentials", "password", StringComparison.Ordinal), Encoding.UTF8);
                content.Headers.ContentType = request.Content.Headers.ContentType;
                request.Content = content;
            }
        })));

        var ex = await Assert.ThrowsAsync<TwineApiException>(() => host.Client.FetchCoachAsync(Seed.Coach, Ct));

        Assert.Equal(TwineErrorCodes.InvalidGrantType, ex.ErrorCode);
        Assert.Equal("createToken", ex.Operation);
        Assert.False(ex.IsTransient);
        Assert.Equal(1, host.TokenRequests);
    }
}
