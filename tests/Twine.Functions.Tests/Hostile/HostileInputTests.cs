using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;

namespace Twine.Functions.Tests.Hostile;

/// <summary>
/// The hostile-input corpus (tests/Twine.Functions.Tests/HostileInputs/, format in its README.md): each file is one
/// request, sent through its function class against the real Azurite. Each must be refused with its expected 4xx and
/// RFC 9457 problem details, or on the /api/fhir routes an OperationOutcome (application/fhir+json) whose first issue has
/// severity, code and diagnostics (the health and FHIR metadata endpoints ignore query junk: 200), with nothing stored
/// or queued, no 5xx and no exception. The run's summary goes to hostile-inputs-summary.md in the test output folder.
/// </summary>
public sealed class HostileInputTests(AzuriteFixture azurite, HostileApp fixture) : IClassFixture<HostileApp>
{
    public static IEnumerable<TheoryDataRow<string>> Files() =>
        HostileRequest.All().Select(file => new TheoryDataRow<string>(file) { TestDisplayName = file });

    [Fact]
    public void The_corpus_has_at_least_200_files_for_every_endpoint()
    {
        var requests = HostileRequest.All().Select(HostileRequest.Load).ToList();
        Assert.True(requests.Count >= 200, $"{requests.Count} files");
        var endpoints = requests.Select(HostileApp.Endpoint).ToList();
        Assert.DoesNotContain(null, endpoints);
        Assert.Equal(12, endpoints.Distinct().Count());
    }

    [Fact]
    public void The_fhir_routes_have_at_least_40_files()
    {
        var fhir = HostileRequest.All().Select(HostileRequest.Load).Where(HostileApp.IsFhir).ToList();
        Assert.True(fhir.Count >= 40, $"{fhir.Count} FHIR files");
        Assert.Equal(5, fhir.Select(HostileApp.Endpoint).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Is_refused_with_problem_details_and_nothing_is_accepted(string file)
    {
        await fixture.EnsureStartedAsync(azurite);
        var request = HostileRequest.Load(file);
        var endpoint = HostileApp.Endpoint(request) ?? "unknown";
        string got = "exception";
        try
        {
            TestResponse response;
            try
            {
                response = await fixture.SendAsync(request, TestContext.Current.CancellationToken);
            }
            catch (Exception e)
            {
                var frames = string.Join(" <- ", (e.StackTrace ?? "").Split('\n').Select(f => f.Trim()).Where(f => f.StartsWith("at Twine.", StringComparison.Ordinal)).Take(3));
                Assert.Fail($"Unhandled {e.GetType().FullName}: {e.Message} {frames}");
                throw;
            }

            got = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(response.Status < 500, $"A {response.Status} answer: {response.Body}");
            Assert.True(Matches(request.Expect, response.Status), $"Expected {request.Expect}, got {response.Status}: {Shorten(response.Body)}");
            if (response.Status >= 400)
            {
                if (HostileApp.IsFhir(request))
                {
                    AssertOperationOutcome(response);
                }
                else
                {
                    AssertProblem(response);
                }
            }

            await AssertNothingAcceptedAsync();
            fixture.Summary.Add(file, new(endpoint, request.Category, request.Expect, got, true, null));
        }
        catch (Exception e)
        {
            fixture.Summary.Add(file, new(endpoint, request.Category, request.Expect, got, false, FirstLine(e.Message)));
            await ClearAsync();
            throw;
        }
    }

    /// <summary>"4xx"-style classes or an exact status.</summary>
    private static bool Matches(string expect, int status) =>
        expect.EndsWith("xx", StringComparison.Ordinal)
            ? status / 100 == expect[0] - '0'
            : int.Parse(expect, System.Globalization.CultureInfo.InvariantCulture) == status;

    private static void AssertProblem(TestResponse response)
    {
        Assert.Equal("application/problem+json", response.ContentType);
        JsonNode json;
        try
        {
            json = JsonNode.Parse(response.Body)!;
        }
        catch (JsonException e)
        {
            Assert.Fail($"The problem body is not JSON: {e.Message}");
            throw;
        }

        Assert.Equal(response.Status, json["status"]?.GetValue<int>());
        foreach (var member in new[] { "type", "title", "detail" })
        {
            Assert.False(string.IsNullOrEmpty(json[member]?.GetValue<string>()), $"The problem has no '{member}'.");
        }
    }

    /// <summary>The /api/fhir routes' errors: application/fhir+json, an OperationOutcome whose first issue has severity, code and diagnostics.</summary>
    private static void AssertOperationOutcome(TestResponse response)
    {
        Assert.StartsWith("application/fhir+json", response.ContentType ?? "", StringComparison.Ordinal);
        JsonNode json;
        try
        {
            json = JsonNode.Parse(response.Body)!;
        }
        catch (JsonException e)
        {
            Assert.Fail($"The OperationOutcome is not JSON: {e.Message}");
            throw;
        }

        Assert.Equal("OperationOutcome", json["resourceType"]?.GetValue<string>());
        var first = json["issue"]?.AsArray().FirstOrDefault();
        Assert.True(first is JsonObject, "The OperationOutcome has no issue.");
        foreach (var member in new[] { "severity", "code", "diagnostics" })
        {
            Assert.False(string.IsNullOrEmpty(first![member]?.GetValue<string>()), $"The OperationOutcome's first issue has no '{member}'.");
        }
    }

    /// <summary>No ingestion rows (Ingestions with their outcome rows, IngestionKeys, CalendarEventLinks) and both queues empty.</summary>
    private async Task AssertNothingAcceptedAsync()
    {
        var app = fixture.App;
        foreach (var table in new[] { app.Names.IngestionsTable, app.Names.IngestionKeysTable, app.Names.CalendarEventLinksTable })
        {
            Assert.True((await app.RowsAsync(table)).Count == 0, $"Rows were stored in {table}.");
        }

        Assert.True(await app.MessageCountAsync(app.Names.MetricsQueue) == 0, "A metrics message was queued.");
        Assert.True(await app.MessageCountAsync(app.Names.CalendarEventsQueue) == 0, "A calendar-event message was queued.");
    }

    /// <summary>After a failure: empty the tables and queues, so that the next files are judged on their own.</summary>
    private async Task ClearAsync()
    {
        var app = fixture.App;
        foreach (var table in new[] { app.Names.IngestionsTable, app.Names.IngestionKeysTable, app.Names.CalendarEventLinksTable })
        {
            var client = new Azure.Data.Tables.TableClient(app.ConnectionString, table);
            foreach (var row in await app.RowsAsync(table))
            {
                await client.DeleteEntityAsync(row.PartitionKey, row.RowKey);
            }
        }

        foreach (var queue in new[] { app.Names.MetricsQueue, app.Names.CalendarEventsQueue })
        {
            var client = new Azure.Storage.Queues.QueueClient(app.ConnectionString, queue);
            if (await client.ExistsAsync())
            {
                await client.ClearMessagesAsync();
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "…";

    private static string FirstLine(string text) => Shorten(text.Split('\n')[0].Trim());
}
