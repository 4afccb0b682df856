using System.Text;
using Twine.Functions.Partners;
using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>POST /api/metrics accepted: 202 only once the ingestion is recorded and its messages are queued.</summary>
public sealed class MetricsAcceptedTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Accepts_metrics_records_the_ingestion_and_queues_them_base64_encoded()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(3);

        var response = await app.PostMetricsAsync(body);

        Assert.Equal(202, response.Status);
        Assert.Equal("application/json", response.ContentType);
        var id = response.IngestionId;
        Assert.True(IngestionId.IsValid(id));
        Assert.Equal($"/api/ingestions/{id}", response.Headers["Location"]);
        Assert.Equal($"/api/ingestions/{id}", response.Json["statusUrl"]!.GetValue<string>());

        var record = await app.Store.GetAsync(id, CancellationToken.None);
        Assert.NotNull(record);
        Assert.Equal(IngestionStatus.Accepted, record.Status);
        Assert.Equal(IngestionKind.Metrics, record.Kind);
        Assert.Equal(3, record.MetricsTotal);
        Assert.Equal(1, record.MessagesTotal);
        Assert.Equal(TestApp.Start, record.CreatedAt);

        var raw = Assert.Single(await app.RawMessagesAsync(app.Names.MetricsQueue));
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(raw)); // base64, as the queue trigger expects
        var parsed = MetricsMessageParser.Parse(text);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors.Select(e => e.Pointer + " " + e.Detail)));
        var message = parsed.Message!;
        Assert.Equal(id, message.IngestionId);
        Assert.Equal((0, 1), (message.MessageIndex, message.MessageCount));
        using var sent = JsonDocument.Parse(body.ToJsonString());
        Assert.Equal(3, message.Metrics.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(JsonElement.DeepEquals(sent.RootElement.GetProperty("data")[i], message.Metrics[i]), $"metric {i} changed on the way");
        }

        Assert.Empty(await app.RowsAsync(app.Names.IngestionKeysTable)); // no Idempotency-Key: no key row, the id is the signed webhook-id's
        var webhookId = (await app.Store.GetAsync(id, CancellationToken.None))!.WebhookId!;
        Assert.Equal(IngestionId.ForWebhookId(new RequestKeys(TestApp.TestPartner, webhookId, null).WebhookIdKey), id);
    }

    [Fact]
    public async Task Accepts_a_single_resource_with_the_patient_given_by_query_as_plain_json()
    {
        await using var app = new TestApp(azurite);

        var response = await app.PostMetricsAsync(Bodies.Document(Bodies.MetricByQuery()), contentType: "application/json; charset=utf-8");

        Assert.Equal(202, response.Status);
        var message = MetricsMessageParser.Parse(Assert.Single(await app.DecodedMessagesAsync(app.Names.MetricsQueue))).Message!;
        Assert.Equal("121212", message.Metrics[0].GetProperty("relationships").GetProperty("patient").GetProperty("data")
            .GetProperty("meta").GetProperty("query").GetProperty("identifier").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Accepts_a_blood_pressure_given_as_systolic_and_diastolic()
    {
        await using var app = new TestApp(azurite);
        var metric = Bodies.Metric().With("attributes/type", "blood_pressure").With("attributes/value", null, remove: true)
            .With("attributes/systolic", 120).With("attributes/diastolic", 80);

        var response = await app.PostMetricsAsync(Bodies.Document(new JsonArray(metric)));

        Assert.Equal(202, response.Status);
    }

    [Fact]
    public async Task Splits_1000_metrics_into_10_messages_of_100()
    {
        await using var app = new TestApp(azurite);

        var response = await app.PostMetricsAsync(Bodies.Metrics(1000));

        Assert.Equal(202, response.Status);
        var messages = (await app.DecodedMessagesAsync(app.Names.MetricsQueue))
            .Select(t => MetricsMessageParser.Parse(t).Message!).OrderBy(m => m.MessageIndex).ToList();
        Assert.Equal(Enumerable.Range(0, 10), messages.Select(m => m.MessageIndex));
        Assert.All(messages, m => Assert.Equal((10, 100, response.IngestionId), (m.MessageCount, m.Metrics.Count, m.IngestionId)));
        // Order is kept across messages: metric i carries value 100 + i.
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => 100 + i),
            messages.SelectMany(m => m.Metrics).Select(m => m.GetProperty("attributes").GetProperty("value").GetInt32()));
        var record = await app.Store.GetAsync(response.IngestionId, CancellationToken.None);
        Assert.Equal((1000, 10), (record!.MetricsTotal, record.MessagesTotal));
    }

    [Fact]
    public async Task Splits_large_metrics_further_so_every_message_stays_under_64_KiB_encoded()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(300);
        foreach (var metric in body["data"]!.AsArray())
        {
            metric!["attributes"]!["value"] = new string('v', 3000) + "é"; // a large (string) value, with non-ASCII
        }

        var response = await app.PostMetricsAsync(body);

        Assert.Equal(202, response.Status);
        var raw = await app.RawMessagesAsync(app.Names.MetricsQueue);
        Assert.True(raw.Count > 3, $"expected more than 3 messages, got {raw.Count}");
        Assert.All(raw, r => Assert.True(Encoding.UTF8.GetByteCount(r) <= 64 * 1024, $"message of {r.Length} bytes encoded"));
        var messages = raw.Select(r => MetricsMessageParser.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(r))).Message!)
            .OrderBy(m => m.MessageIndex).ToList();
        Assert.All(messages, m => Assert.Equal(raw.Count, m.MessageCount));
        Assert.Equal(300, messages.Sum(m => m.Metrics.Count));
        Assert.Equal(new string('v', 3000) + "é", messages[^1].Metrics[^1].GetProperty("attributes").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Status_of_an_accepted_ingestion()
    {
        await using var app = new TestApp(azurite);
        var id = (await app.PostMetricsAsync(Bodies.Metrics(2))).IngestionId;

        var status = await app.GetStatusAsync(id);

        Assert.Equal(200, status.Status);
        var json = status.Json;
        Assert.Equal(id, json["ingestionId"]!.GetValue<string>());
        Assert.Equal("accepted", json["status"]!.GetValue<string>());
        Assert.Equal("metrics", json["kind"]!.GetValue<string>());
        Assert.Equal(2, json["counts"]!["metricsTotal"]!.GetValue<int>());
        Assert.Equal(1, json["counts"]!["messagesTotal"]!.GetValue<int>());
        Assert.Equal(0, json["counts"]!["messagesDone"]!.GetValue<int>());
        Assert.Empty(json["twineIds"]!.AsArray());
        Assert.Equal(TestApp.Start, json["createdAt"]!.GetValue<DateTimeOffset>());
    }
}
