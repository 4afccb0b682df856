using System.Net;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Tests;

/// <summary>AddEmailHistory, AddEmailHistories and SetEmailStatus, as GET /email_history then serves them.</summary>
public sealed class EmailHistoryControlTests : SandboxHost
{
    [Fact]
    public async Task Added_emails_are_listed_newest_first_and_a_status_set_later_is_served()
    {
        var token = await NewTokenAsync();
        var seeded = (await Send(HttpMethod.Get, $"email_history?filter[sender]={SecondCoachId}", token: token)).DataArray.Count;
        var sent = Time.GetUtcNow().AddMinutes(-5);
        var id = Server.AddEmailHistory(SecondCoachId, SecondPatientId, sent, "invite",
            new Dictionary<string, DateTimeOffset> { ["processed"] = sent.AddSeconds(1) });
        var backlog = Server.AddEmailHistories(25, SecondCoachId, [PatientId, SecondPatientId], sent.AddMinutes(-1), TimeSpan.FromMinutes(1));
        Assert.Equal(25, backlog.Distinct().Count());

        Time.Advance(TimeSpan.FromMinutes(1));
        Server.SetEmailStatus(id, "open", Time.GetUtcNow());

        var page = await Send(HttpMethod.Get, $"email_history?filter[sender]={SecondCoachId}&sort=-send_time&page[number]=1&page[size]=10", token: token);
        page.AssertOk(HttpStatusCode.OK);
        var json = page.Body;
        Assert.Equal(seeded + 26, json["meta"]!["count"]!.GetValue<int>());
        var data = json["data"]!.AsArray();
        Assert.Equal(10, data.Count);
        Assert.Equal(id, data[0]!["id"]!.GetValue<string>());
        Assert.Equal(backlog[0], data[1]!["id"]!.GetValue<string>());
        var attributes = data[0]!["attributes"]!;
        Assert.Equal("invite", attributes["email_type"]!.GetValue<string>());
        Assert.Equal(Dates(Time.GetUtcNow()), attributes["status_times"]!["open"]!.GetValue<string>());
        Assert.Equal(Dates(Time.GetUtcNow()), attributes["updated_at"]!.GetValue<string>());
        Assert.NotNull(json["links"]!["next"]);
        Assert.Equal(PatientId, data[1]!["relationships"]!["receiver"]!["data"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public void Unknown_people_and_statuses_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Server.AddEmailHistory(PatientId, SecondPatientId, Time.GetUtcNow()));
        Assert.Throws<ArgumentException>(() => Server.AddEmailHistory(CoachId, CoachId, Time.GetUtcNow()));
        Assert.Throws<ArgumentException>(() => Server.SetEmailStatus("595fddec28c5041b84467592", "read", Time.GetUtcNow()));
        Assert.Throws<ArgumentException>(() => Server.SetEmailStatus("000000000000000000000000", "open", Time.GetUtcNow()));
    }

    private static string Dates(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
