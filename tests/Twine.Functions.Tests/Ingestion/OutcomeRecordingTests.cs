using Azure.Data.Tables;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>Recording message outcomes: idempotent, safe under concurrency, and visible through the status endpoint.</summary>
public sealed class OutcomeRecordingTests(AzuriteFixture azurite)
{
    private static MessageOutcome Succeeded(int index, int count, int created, int ignored = 0) => new(
        IngestionKind.Metrics, index, count, created + ignored, created, ignored, 0,
        [.. Enumerable.Range(0, created).Select(i => $"5a0c8e2aa9d454cc1509{index:D2}{i:D2}")], []);

    private static MessageOutcome Rejected(int index, int count, int metrics) => new(
        IngestionKind.Metrics, index, count, metrics, 0, 0, metrics, [],
        [new IngestionError("InvalidRequest", "Patient not found", "/data/0/relationships/patient", "req-7f3a")],
        "Twine refused the message (409).");

    private static async Task<string> AcceptedIngestionAsync(TestApp app, int metrics)
    {
        var response = await app.PostMetricsAsync(Bodies.Metrics(metrics));
        Assert.Equal(202, response.Status);
        return response.IngestionId;
    }

    [Fact]
    public async Task Recording_the_same_outcome_twice_leaves_the_tables_as_one_delivery_would()
    {
        await using var app = new TestApp(azurite);
        var id = await AcceptedIngestionAsync(app, 250); // 3 messages
        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 3, 100), CancellationToken.None);
        var partitionOnce = await SnapshotAsync(app, app.Names.IngestionsTable); // the ingestion row and its outcome rows

        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 3, 100), CancellationToken.None);

        Assert.Equal(partitionOnce, await SnapshotAsync(app, app.Names.IngestionsTable));
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.Processing, 1, 100, 100), (record.Status, record.MessagesDone, record.Created, record.TwineIds.Count));
    }

    [Fact]
    public async Task Every_message_succeeding_makes_the_ingestion_succeeded_with_its_twine_ids()
    {
        await using var app = new TestApp(azurite);
        var id = await AcceptedIngestionAsync(app, 200);
        app.Time.Advance(TimeSpan.FromMinutes(3));

        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(1, 2, 90, ignored: 10), CancellationToken.None);
        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 2, 100), CancellationToken.None);
        var status = await app.GetStatusAsync(id);

        Assert.Equal(200, status.Status);
        var json = status.Json;
        Assert.Equal("succeeded", json["status"]!.GetValue<string>());
        Assert.Equal(2, json["counts"]!["messagesDone"]!.GetValue<int>());
        Assert.Equal(190, json["counts"]!["created"]!.GetValue<int>());
        Assert.Equal(10, json["counts"]!["ignoredDuplicates"]!.GetValue<int>());
        Assert.Equal(0, json["counts"]!["failed"]!.GetValue<int>());
        Assert.Equal(190, json["twineIds"]!.AsArray().Count);
        Assert.Equal("5a0c8e2aa9d454cc15090000", json["twineIds"]![0]!.GetValue<string>()); // message order, not arrival order
        Assert.Equal(TestApp.Start, json["createdAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(TestApp.Start.AddMinutes(3), json["updatedAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Some_messages_rejected_makes_it_partly_succeeded_with_twines_errors()
    {
        await using var app = new TestApp(azurite);
        var id = await AcceptedIngestionAsync(app, 150);

        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 2, 100), CancellationToken.None);
        await app.Store.RecordMessageOutcomeAsync(id, Rejected(1, 2, 50), CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.Equal("partlySucceeded", json["status"]!.GetValue<string>());
        Assert.Equal(50, json["counts"]!["failed"]!.GetValue<int>());
        var error = json["errors"]![0]!;
        Assert.Equal("InvalidRequest", error["code"]!.GetValue<string>());
        Assert.Equal("Patient not found", error["detail"]!.GetValue<string>());
        Assert.Equal("/data/0/relationships/patient", error["pointer"]!.GetValue<string>());
        Assert.Equal("req-7f3a", error["req_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_message_rejected_makes_it_failed()
    {
        await using var app = new TestApp(azurite);
        var id = await AcceptedIngestionAsync(app, 5);

        await app.Store.RecordMessageOutcomeAsync(id, Rejected(0, 1, 5), CancellationToken.None);

        Assert.Equal("failed", (await app.GetStatusAsync(id)).Json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Marked_failed_with_a_reason_stays_failed_when_later_outcomes_arrive()
    {
        await using var app = new TestApp(azurite);
        var id = await AcceptedIngestionAsync(app, 150);

        await app.Store.MarkFailedAsync(id, "Message 1 was moved to the poison queue after 5 attempts.", CancellationToken.None);
        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 2, 100), CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.Equal("failed", json["status"]!.GetValue<string>());
        Assert.Equal("Message 1 was moved to the poison queue after 5 attempts.", json["failureReason"]!.GetValue<string>());
        Assert.Equal(100, json["counts"]!["created"]!.GetValue<int>());
    }

    [Fact]
    public async Task Concurrent_outcomes_of_different_messages_all_count()
    {
        await using var app = new TestApp(azurite);
        var id = await AcceptedIngestionAsync(app, 1000);

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => app.Store.RecordMessageOutcomeAsync(id, Succeeded(i, 10, 100), CancellationToken.None)));
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;

        Assert.Equal((IngestionStatus.Succeeded, 10, 1000, 1000), (record.Status, record.MessagesDone, record.Created, record.TwineIds.Count));
        Assert.Equal(10, (await app.Store.GetResultsAsync(id, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task An_outcome_for_an_ingestion_enqueued_directly_creates_its_row()
    {
        await using var app = new TestApp(azurite);
        var id = IngestionId.New(app.Time);

        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 2, 3), CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.Equal("processing", json["status"]!.GetValue<string>());
        Assert.Equal(2, json["counts"]!["messagesTotal"]!.GetValue<int>());
    }

    [Fact]
    public async Task Long_id_lists_are_cut_to_fit_a_table_property_and_flagged()
    {
        await using var app = new TestApp(azurite);
        var id = await AcceptedIngestionAsync(app, 1);
        var ids = Enumerable.Range(0, 3000).Select(i => $"5a0c8e2aa9d454cc15{i:D6}").ToList();

        await app.Store.RecordMessageOutcomeAsync(id, new MessageOutcome(IngestionKind.Metrics, 0, 1, 3000, 3000, 0, 0, ids, []), CancellationToken.None);
        var json = (await app.GetStatusAsync(id)).Json;

        Assert.True(json["twineIdsTruncated"]!.GetValue<bool>());
        var kept = json["twineIds"]!.AsArray().Count;
        Assert.InRange(kept, 500, 2999);
        Assert.Equal(3000, json["counts"]!["created"]!.GetValue<int>());
    }

    [Fact]
    public async Task Outcomes_arriving_before_the_edge_marks_the_ingestion_accepted_count_and_its_mark_keeps_them()
    {
        await using var app = new TestApp(azurite);
        var id = IngestionId.New(app.Time);
        var inserted = await app.Store.TryCreateReceivingAsync(id, new NewIngestion(IngestionKind.Metrics, 150, 2), "hash",
            app.Time.GetUtcNow() + IngestionAcceptor.ReceivingLease, CancellationToken.None);

        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 2, 100), CancellationToken.None); // a fast queue trigger
        var whileReceiving = await app.GetStatusAsync(id);
        await app.Store.MarkAcceptedAsync(id, inserted, CancellationToken.None); // the insert's ETag is stale now
        var accepted = (await app.GetStatusAsync(id)).Json;

        Assert.Equal("processing", whileReceiving.Json["status"]!.GetValue<string>()); // the outcome moved it on
        Assert.Equal("processing", accepted["status"]!.GetValue<string>());
        Assert.Equal(1, accepted["counts"]!["messagesDone"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_ingestion_the_edge_failed_to_queue_stays_failed_and_retryable_when_outcomes_arrive()
    {
        await using var app = new TestApp(azurite);
        var id = IngestionId.New(app.Time);
        await app.Store.TryCreateReceivingAsync(id, new NewIngestion(IngestionKind.Metrics, 150, 2), "hash",
            app.Time.GetUtcNow() + IngestionAcceptor.ReceivingLease, CancellationToken.None);
        await app.Store.MarkReceivingFailedAsync(id, "Queueing failed (status 500).", CancellationToken.None);

        await app.Store.RecordMessageOutcomeAsync(id, Succeeded(0, 2, 100), CancellationToken.None); // the one message that was queued
        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;

        Assert.Equal((IngestionStatus.Failed, true, 1), (record.Status, record.FailedWhileReceiving, record.MessagesDone));
        Assert.True(IngestionStore.CanBeTakenOver(record, app.Time.GetUtcNow()));
        Assert.True(await app.Store.TryTakeOverAsync(id, app.Time.GetUtcNow().AddMinutes(1), CancellationToken.None));
        Assert.False(await app.Store.TryTakeOverAsync(id, app.Time.GetUtcNow().AddMinutes(1), CancellationToken.None)); // one retry wins
    }

    [Fact]
    public async Task Status_answers_404_for_an_unknown_id_and_400_for_a_malformed_one()
    {
        await using var app = new TestApp(azurite);

        var unknown = await app.GetStatusAsync(IngestionId.New(app.Time));
        var malformed = await app.GetStatusAsync("not-an-id");
        var upper = await app.GetStatusAsync(IngestionId.New(app.Time).ToUpperInvariant());

        unknown.AssertProblem(404);
        malformed.AssertProblem(400);
        upper.AssertProblem(400);
        Assert.Equal("id", malformed.Json["errors"]![0]!["parameter"]!.GetValue<string>());
    }

    /// <summary>Every row's properties except the service's Timestamp and ETag (odata.etag).</summary>
    private static async Task<string> SnapshotAsync(TestApp app, string table)
    {
        var rows = await app.RowsAsync(table);
        return string.Join("\n", rows.Select(r => string.Join(";", r.Keys.Where(k => k is not ("Timestamp" or "odata.etag")).Order(StringComparer.Ordinal)
            .Select(k => $"{k}={Format(r[k])}"))));
    }

    private static string? Format(object? value) => value switch
    {
        DateTimeOffset d => d.ToString("O"),
        _ => value?.ToString(),
    };
}
