using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Tests.Reliability;
using Twine.Sandbox;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Processing;

/// <summary>
/// The ordering table of docs/PROCESSING.md, one test per row, end to end: the writes are accepted at the edge in their
/// order (signed and received as the fake clock moves), then their queue messages are delivered in every order (each
/// permutation, one after another, through the processor) and once more all in one batch through the at-least-once
/// queue driver (delivered at the same moment, rescheduled while the link is busy). Twine must end the same way each time.
/// </summary>
public sealed class CalendarOrderingTableTests : IClassFixture<SandboxFixture>
{
    private const string Owner = "5a1000000000000000000005";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;
    private static int _series;

    public CalendarOrderingTableTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    /// <summary>One write of a row: a PUT with a title (and optional meta members), or a DELETE; then how far the clock moves.</summary>
    private sealed record Write(string? Title, JsonObject? Meta = null, int AdvanceSeconds = 1);

    private static Write Put(string title, JsonObject? meta = null, int advance = 1) => new(title, meta, advance);

    private static Write Delete(JsonObject? meta = null, int advance = 1) => new(null, meta, advance);

    [Fact]
    public Task An_older_put_after_a_newer_put_is_superseded() =>
        AssertRowAsync([Put("Older"), Put("Newer")], "Newer");

    [Fact]
    public Task A_put_older_than_a_delete_does_not_bring_the_event_back() =>
        AssertRowAsync([Put("Created"), Put("Late"), Delete()], null);

    [Fact]
    public Task A_delete_older_than_a_put_leaves_the_put_applied() =>
        AssertRowAsync([Put("Created"), Delete(), Put("Updated")], "Updated");

    [Fact]
    public Task A_delete_before_the_first_put_leaves_a_tombstone_that_supersedes_an_older_put() =>
        AssertRowAsync([Put("Never"), Delete()], null);

    [Fact]
    public Task Equal_partner_versions_and_signed_times_the_later_received_wins() =>
        AssertRowAsync([Put("First received", Version(7), advance: 0), Put("Later received", Version(7), advance: 0)], "Later received");

    [Fact]
    public Task The_partner_version_orders_before_the_signed_time() =>
        AssertRowAsync([Put("Version 2", Version(2)), Put("Version 1, signed later", Version(1))], "Version 2");

    [Fact]
    public Task The_partner_updated_at_orders_before_the_signed_time() =>
        AssertRowAsync([Put("Changed at 09:29", UpdatedAt("2026-03-14T09:29:00Z")), Put("Changed at 09:10, signed later", UpdatedAt("2026-03-14T09:10:00Z"))],
            "Changed at 09:29");

    [Fact]
    public Task A_versioned_delete_supersedes_a_put_with_a_lower_version_signed_later() =>
        AssertRowAsync([Put("Version 1"), Delete(Version(3)), Put("Version 2, signed last", Version(2))], null,
            first: Put("Version 1", Version(1)));

    [Fact]
    public async Task Messages_without_an_order_apply_in_processing_order()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var externalId = "ehr-unordered-" + Guid.NewGuid().ToString("N")[..8];
        var start = NextStart();
        var messages = new List<string>();
        foreach (var title in new[] { "A", "B" })
        {
            await app.PutCalendarEventAsync(externalId, EventAt(start, title));
            var message = JsonNode.Parse(Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue)))!.AsObject();
            message.Remove(CalendarWriteOrder.Member); // as a partner that enqueues directly may write it,
            message["ingestionId"] = IngestionId.New(app.Time); // under an ingestion of its own (an edge's message changed in the queue is dropped)
            messages.Add(message.ToJsonString());
        }

        foreach (var message in Enumerable.Reverse(messages))
        {
            await app.CalendarProcessor().ProcessAsync(message, 1, CancellationToken.None);
        }

        Assert.Equal("A", await TitleInTwineAsync(app, externalId));
    }

    private static JsonObject Version(long version) => new() { ["version"] = version };

    private static JsonObject UpdatedAt(string at) => new() { ["updated_at"] = at };

    private static DateTimeOffset NextStart() =>
        new DateTimeOffset(2022, 1, 1, 10, 0, 0, TimeSpan.Zero).AddDays(Interlocked.Increment(ref _series));

    private static JsonObject EventAt(DateTimeOffset start, string title) => (JsonObject)Bodies.CalendarEvent()
        .With("data/relationships/owner/data/id", Owner)
        .With("data/attributes/attendees", new JsonArray())
        .With("data/attributes/start_at", start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))
        .With("data/attributes/end_at", start.AddMinutes(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))
        .With("data/attributes/title", title);

    /// <summary>
    /// Every permutation of the row's messages through the processor, then all of them at once through the queue driver;
    /// each ends with <paramref name="expectedTitle"/> in Twine (null: no event). <paramref name="first"/> replaces the
    /// first write (for rows whose first write needs its own meta).
    /// </summary>
    private async Task AssertRowAsync(IReadOnlyList<Write> writes, string? expectedTitle, Write? first = null)
    {
        if (first is not null)
        {
            writes = [first, .. writes.Skip(1)];
        }

        foreach (var permutation in Permutations(writes.Count))
        {
            await using var app = ProcessingApp.Create(_azurite, _sandbox);
            var (externalId, ingestions, messages, start) = await AcceptAsync(app, writes);
            foreach (var index in permutation)
            {
                await app.CalendarProcessor().ProcessAsync(messages[index], 1, CancellationToken.None);
            }

            await AssertEndAsync(app, externalId, start, ingestions, expectedTitle, "order " + string.Join(",", permutation));
        }

        await using (var app = ProcessingApp.Create(_azurite, _sandbox))
        {
            var (externalId, ingestions, messages, start) = await AcceptAsync(app, writes);
            var queue = new Azure.Storage.Queues.QueueClient(app.ConnectionString, app.Names.CalendarEventsQueue,
                new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 });
            await queue.ClearMessagesAsync();
            foreach (var message in messages.OrderBy(_ => Random.Shared.Next()))
            {
                await queue.SendMessageAsync(message);
            }

            var host = new AtLeastOnceQueueHost(app.ConnectionString, app.Names.CalendarEventsQueue,
                (text, dequeueCount, ct) => app.CalendarProcessor().ProcessAsync(text, dequeueCount, ct),
                (text, id, ct) => app.PoisonHandler().HandleCalendarEventAsync(text, id, ct))
            {
                Retries = app.Retries(),
                Clock = app.Time,
            };
            await host.RunUntilDrainedAsync(cancellationToken: TestContext.Current.CancellationToken);
            await AssertEndAsync(app, externalId, start, ingestions, expectedTitle, "one shuffled batch through the queue driver");
        }
    }

    private static async Task<(string ExternalId, List<string> Ingestions, List<string> Messages, DateTimeOffset Start)> AcceptAsync(TestApp app,
        IReadOnlyList<Write> writes)
    {
        var externalId = "ehr-order-" + Guid.NewGuid().ToString("N")[..10];
        var start = NextStart();
        var ingestions = new List<string>();
        var messages = new List<string>();
        foreach (var write in writes)
        {
            var meta = (write.Meta?.DeepClone() as JsonObject) ?? [];
            meta["external_id"] = externalId;
            TestResponse response;
            if (write.Title is { } title)
            {
                var body = EventAt(start, title);
                body["meta"] = meta;
                response = await app.PutCalendarEventAsync(externalId, body);
            }
            else
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["meta"] = meta }.ToJsonString());
                using var stream = new MemoryStream(bytes);
                response = await app.ExecuteAsync(await app.CalendarEvents.HandleDeleteAsync(
                    new Twine.Functions.Partners.WebhookRequest(app.Sign(bytes), "application/vnd.api+json", null, bytes.Length, null, stream), externalId, CancellationToken.None));
            }

            Assert.True(response.Status == 202, response.Body);
            ingestions.Add(response.IngestionId);
            messages.Add(Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue)));
            app.Time.Advance(TimeSpan.FromSeconds(write.AdvanceSeconds) + TimeSpan.FromTicks(1)); // received later, to the tick
        }

        return (externalId, ingestions, messages, start);
    }

    private static async Task AssertEndAsync(TestApp app, string externalId, DateTimeOffset start, List<string> ingestions, string? expectedTitle, string how)
    {
        var events = (await app.SandboxEventsAsync(Owner)).Where(e => e.Attributes?.StartAt == start).ToList();
        var link = (await app.Links.GetAsync(externalId, CancellationToken.None))!;
        if (expectedTitle is null)
        {
            Assert.True(events.Count == 0, $"{how}: expected no event, found {events.Count}");
            Assert.True(link.State is CalendarEventLinkStore.Deleted, $"{how}: link {link.State}");
        }
        else
        {
            Assert.True(events.Count == 1, $"{how}: expected one event, found {events.Count}");
            Assert.True((CalendarEventLinkStore.Linked, events[0].Id) == (link.State, link.TwineId), $"{how}: link {link.State}");
            Assert.True(expectedTitle == events[0].Attributes!.Title, $"{how}: expected {expectedTitle}, found {events[0].Attributes!.Title}");
        }

        foreach (var id in ingestions)
        {
            var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
            Assert.True(record.MessagesDone == 1, $"{how}: ingestion not done");
            Assert.True(record.Status is IngestionStatus.Succeeded or IngestionStatus.Failed, $"{how}: {record.Status}");
        }
    }

    private static async Task<string?> TitleInTwineAsync(TestApp app, string externalId)
    {
        var link = await app.Links.GetAsync(externalId, CancellationToken.None);
        return link?.TwineId is { } twineId
            ? (await app.SandboxEventsAsync(Owner)).SingleOrDefault(e => e.Id == twineId)?.Attributes?.Title
            : null;
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 1)
        {
            yield return [0];
            yield break;
        }

        foreach (var rest in Permutations(n - 1))
        {
            for (var at = 0; at <= rest.Length; at++)
            {
                yield return [.. rest[..at], n - 1, .. rest[at..]];
            }
        }
    }
}
