using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using static Twine.Functions.Tests.Polling.PollingHarness;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;

namespace Twine.Functions.Tests.Polling;

/// <summary>GET /api/email-history?patient= and GET /api/calendar-events/{externalId}, over what a poll stored.</summary>
public sealed class PollingEndpointTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Email_history_of_a_patient_is_paged_with_an_opaque_continuation_token()
    {
        await using var h = await StartAsync(azurite);
        var ids = h.Sandbox.AddEmailHistories(7, Coach, [Patients[2]], h.Time.GetUtcNow().AddMinutes(-1), TimeSpan.FromMinutes(1));
        h.Sandbox.AddEmailHistories(3, SecondCoach, [Patients[1]], h.Time.GetUtcNow().AddMinutes(-1), TimeSpan.FromMinutes(1));
        h.Sandbox.SetEmailStatus(ids[0], "open", h.Time.GetUtcNow());
        await h.PollAsync();

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var response = await h.App.ExecuteAsync(await h.EmailHistoryQuery.HandleAsync(Patients[2], "3", token, Ct));
            Assert.Equal(200, response.Status);
            Assert.Equal("application/json", response.ContentType);
            var json = response.Json;
            Assert.Equal(Patients[2], json["patient"]!.GetValue<string>());
            var items = json["items"]!.AsArray();
            Assert.InRange(items.Count, 1, 3);
            seen.AddRange(items.Select(i => i!["id"]!.GetValue<string>()));
            token = json["continuationToken"]?.GetValue<string>();
            if (token is not null)
            {
                Assert.Contains("continuationToken=", json["next"]!.GetValue<string>(), StringComparison.Ordinal);
            }

            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.True(pages >= 3);

        var first = (await h.App.ExecuteAsync(await h.EmailHistoryQuery.HandleAsync(Patients[2], null, null, Ct))).Json["items"]!.AsArray()
            .Single(i => i!["id"]!.GetValue<string>() == ids[0])!;
        Assert.Equal("open", first["status"]!.GetValue<string>());
        Assert.Equal(Coach, first["sender"]!.GetValue<string>());
        Assert.Equal(3, first["statusTimes"]!.AsObject().Count);
        Assert.NotNull(first["emailAddressHash"]);

        // A patient with nothing stored: 200 and an empty page.
        var empty = await h.App.ExecuteAsync(await h.EmailHistoryQuery.HandleAsync("5a100000000000000000000b", null, null, Ct));
        Assert.Equal(200, empty.Status);
        Assert.Empty(empty.Json["items"]!.AsArray());
        Assert.Null(empty.Json["continuationToken"]);
    }

    [Theory]
    [InlineData(null, null, null, "patient")]
    [InlineData("not-an-id", null, null, "patient")]
    [InlineData("5a1000000000000000000001", "0", null, "pageSize")]
    [InlineData("5a1000000000000000000001", "1001", null, "pageSize")]
    [InlineData("5a1000000000000000000001", "ten", null, "pageSize")]
    [InlineData("5a1000000000000000000001", null, "not a token", "continuationToken")]
    [InlineData("5a1000000000000000000001", null, "eyJwIjoiNWExMDAwMDAwMDAwMDAwMDAwMDAwMDAyIiwidCI6IngifQ", "continuationToken")] // another patient's
    public async Task Bad_email_history_parameters_are_400_problem_details_naming_the_parameter(string? patient, string? pageSize, string? token, string parameter)
    {
        await using var h = await StartAsync(azurite);

        var response = await h.App.ExecuteAsync(await h.EmailHistoryQuery.HandleAsync(patient, pageSize, token, Ct));

        response.AssertProblem(400);
        Assert.Contains(response.Json["errors"]!.AsArray(), e => e!["parameter"]?.GetValue<string>() == parameter);
    }

    [Fact]
    public async Task A_calendar_event_the_pipeline_created_is_read_by_its_externalId_after_a_poll()
    {
        await using var h = await StartAsync(azurite);
        var twineId = await h.CreateEventAsync(Patients[0], h.Time.GetUtcNow().AddDays(2));

        // The pipeline's link for it, written as the processor writes it: claim, then linked with the Twine id.
        var claim = await h.App.Links.TryClaimAsync("visit-42", "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b", Ct);
        Assert.True(await h.App.Links.TryUpdateAsync(claim!, CalendarEventLinkStore.Linked, twineId, Ct));
        Assert.Equal("visit-42", await h.App.Links.FindExternalIdAsync(twineId, Ct));

        var before = await h.App.ExecuteAsync(await h.CalendarEventQuery.HandleAsync("visit-42", Ct));
        Assert.Equal(200, before.Status);
        Assert.False(before.Json.AsObject().ContainsKey("event")); // linked, not polled yet: left out (README, docs/POLLING.md)
        Assert.Equal("linked", before.Json["linkState"]!.GetValue<string>());

        await h.PollAsync();

        var response = await h.App.ExecuteAsync(await h.CalendarEventQuery.HandleAsync("visit-42", Ct));
        Assert.Equal(200, response.Status);
        var json = response.Json;
        Assert.Equal("visit-42", json["externalId"]!.GetValue<string>());
        Assert.Equal(twineId, json["twineId"]!.GetValue<string>());
        Assert.Equal("linked", json["linkState"]!.GetValue<string>());
        Assert.Equal("telephone-call", json["event"]!["type"]!.GetValue<string>());
        Assert.Equal(Patients[0], json["event"]!["patientId"]!.GetValue<string>());
        Assert.Null(json["event"]!["title"]); // free text stays in Twine

        var row = Assert.Single(await h.EventRowsAsync(), r => r.PartitionKey == twineId);
        Assert.Equal("visit-42", row.GetString("ExternalId"));
        Assert.All((await h.EventRowsAsync()).Where(r => r.PartitionKey != twineId), r => Assert.Null(r.GetString("ExternalId")));
    }

    [Fact]
    public async Task Unknown_or_not_yet_created_externalIds_are_404_and_bad_ones_400()
    {
        await using var h = await StartAsync(azurite);
        await h.App.Links.TryClaimAsync("claimed-only", "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b", Ct);

        var unknown = await h.App.ExecuteAsync(await h.CalendarEventQuery.HandleAsync("no-such-event", Ct));
        unknown.AssertProblem(404);
        Assert.Equal("/api/calendar-events/no-such-event", unknown.Json["instance"]!.GetValue<string>());

        (await h.App.ExecuteAsync(await h.CalendarEventQuery.HandleAsync("claimed-only", Ct))).AssertProblem(404);
        (await h.App.ExecuteAsync(await h.CalendarEventQuery.HandleAsync("has space", Ct))).AssertProblem(400);
    }

    [Fact]
    public async Task The_function_classes_pass_query_and_route_values_to_the_handlers()
    {
        await using var h = await StartAsync(azurite);
        var functions = ActivatorUtilities.CreateInstance<GetEmailHistoryFunction>(h.Services);
        var calendarFunctions = ActivatorUtilities.CreateInstance<CalendarEventFunctions>(h.Services);
        var context = new DefaultHttpContext { RequestServices = h.Services };
        context.Request.Method = "GET";
        context.Request.QueryString = new QueryString("?patient=5a1000000000000000000001&pageSize=0");

        var bad = await h.App.ExecuteAsync(await functions.GetEmailHistory(context.Request, Ct));
        bad.AssertProblem(400);
        Assert.Contains(bad.Json["errors"]!.AsArray(), e => e!["parameter"]?.GetValue<string>() == "pageSize");

        var missing = await h.App.ExecuteAsync(await calendarFunctions.Get(context.Request, "no-such-event", Ct));
        missing.AssertProblem(404);
    }
}
