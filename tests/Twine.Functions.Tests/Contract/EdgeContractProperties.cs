using System.Text;
using System.Text.Json;
using CsCheck;
using Twine.Client.Models;
using Twine.Client.Serialization;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Contract;

/// <summary>
/// "One contract, enforced once", generated: for thousands of metrics documents per run (valid, boundary, hostile),
/// what the HTTP edge accepts becomes queue messages that the processor parses and that serialise into Twine's
/// request; what it refuses stores nothing. Each property runs with a fixed seed (the same cases every run) and a
/// fresh one (new cases every run, printed so a failure can be replayed: set the environment variable CsCheck_Seed to it). CsCheck shrinks a
/// failing case and names its seed; add it to <see cref="EdgeContractTests"/> or the hostile corpus as a fixed case.
/// </summary>
public sealed class EdgeContractProperties(AzuriteFixture azurite)
{
    private static readonly string FixedSeed = new PCG(7, 20261204).ToString();
    private const string IngestionId = "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b";

    /// <summary>The fixed seed, then the one in CSCHECK_SEED if set (a replay), else a fresh one.</summary>
    public static TheoryData<string> Seeds()
    {
        var fresh = Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString();
        return new TheoryData<string>(FixedSeed, fresh);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void What_the_edge_accepts_the_processor_parses_and_Twine_serialisation_writes(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"EdgeContractProperties seed: {seed}");
        var accepted = 0;
        MetricsDocumentGen.Document.Sample(document =>
        {
            if (AssertContract(Encoding.UTF8.GetBytes(document)))
            {
                Interlocked.Increment(ref accepted);
            }
        }, seed: seed, iter: 3000, threads: 1);

        // The generator must reach both sides of the edge, or the property proves little.
        Assert.InRange(accepted, 300, 2700);
    }

    /// <summary>True when the edge accepted the document; asserts the contract either way.</summary>
    private static bool AssertContract(byte[] body)
    {
        var read = MetricsRequestReader.Read(body);
        if (read.Plan is not { } plan)
        {
            Assert.True(read.MalformedReason is not null || read.Errors.Count > 0, "A refusal names its reason.");
            Assert.All(read.Errors, e => Assert.True(e.Pointer is "" || e.Pointer!.StartsWith('/'), $"pointer {e.Pointer}"));
            return false;
        }

        var carried = 0;
        foreach (var bytes in plan.Messages(IngestionId))
        {
            Assert.True(QueueMessageLimits.EncodedLength(bytes.Length) <= QueueMessageLimits.MaxEncodedBytes, "A message fits the queue after base64.");
            var parsed = MetricsMessageParser.Parse(Encoding.UTF8.GetString(bytes));
            Assert.True(parsed.IsValid, "The processor refused a message the edge accepted: " + string.Join("; ", parsed.Errors.Select(e => $"{e.Pointer} {e.Detail}")));
            carried += parsed.Message!.Metrics.Count;

            // As processing does: the client's model from each metric, then the client's bulk request for Twine.
            var resources = parsed.Message.Metrics.Select(m => m.Deserialize(TwineJsonContext.Default.PatientHealthMetricResource)
                ?? throw new InvalidOperationException("A metric read as null.")).ToList();
            var request = new TwineRequest<List<PatientHealthMetricResource>> { Data = resources, Meta = new RequestMeta { IgnoreDuplicates = true } };
            var twineBody = JsonSerializer.SerializeToUtf8Bytes(request, TwineJsonContext.Default.TwineRequestListPatientHealthMetricResource);
            using var written = JsonDocument.Parse(twineBody); // what Twine receives is JSON within the usual depth
        }

        Assert.Equal(read.MetricCount, carried);
        return true;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void What_the_edge_accepts_as_a_calendar_event_the_processor_parses_and_Twine_serialisation_writes(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"EdgeContractProperties calendar seed: {seed}");
        var accepted = 0;
        CalendarDocumentGen.Document.Sample(document =>
        {
            var read = CalendarEventRequestReader.ReadPut(CalendarDocumentGen.ExternalId, Encoding.UTF8.GetBytes(document));
            if (read.Accepted is not { } message)
            {
                Assert.True(read.MalformedReason is not null || read.Errors.Count > 0, "A refusal names its reason.");
                return;
            }

            Interlocked.Increment(ref accepted);
            var bytes = message.Message(IngestionId);
            Assert.True(QueueMessageLimits.EncodedLength(bytes.Length) <= QueueMessageLimits.MaxEncodedBytes);
            var parsed = CalendarEventMessageParser.Parse(Encoding.UTF8.GetString(bytes));
            Assert.True(parsed.IsValid, "The processor refused a message the edge accepted: " + string.Join("; ", parsed.Errors.Select(e => $"{e.Pointer} {e.Detail}")));
            Assert.Equal(CalendarDocumentGen.ExternalId, parsed.Message!.ExternalId);

            // As processing does: the client's model, then the client's create request for Twine.
            var resource = parsed.Message.Data!.Value.Deserialize(TwineJsonContext.Default.CalendarEventResource);
            Assert.NotNull(resource?.Attributes);
            var twineBody = JsonSerializer.SerializeToUtf8Bytes(new TwineRequest<CalendarEventResource> { Data = resource }, TwineJsonContext.Default.TwineRequestCalendarEventResource);
            using var written = JsonDocument.Parse(twineBody);
        }, seed: seed, iter: 3000, threads: 1);

        Assert.InRange(accepted, 100, 2900);
    }

    /// <summary>Through the real handler and Azurite: refused ⇔ nothing stored or queued; accepted ⇒ its messages parse.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task The_edge_stores_nothing_for_what_it_refuses_and_queues_only_what_the_processor_takes(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"EdgeContractProperties storage seed: {seed}");
        await using var app = new TestApp(azurite);
        MetricsDocumentGen.Document.Sample(document =>
        {
            CheckThroughTheEdgeAsync(app, Encoding.UTF8.GetBytes(document)).GetAwaiter().GetResult();
        }, seed: seed, iter: 120, threads: 1);
    }

    private static async Task CheckThroughTheEdgeAsync(TestApp app, byte[] body)
    {
        var rowsBefore = (await app.IngestionRowsAsync()).Count;
        var response = await app.PostMetricsAsync(body);
        var messages = await app.DecodedMessagesAsync(app.Names.MetricsQueue); // received: the next case starts with an empty queue
        var rowsAfter = (await app.IngestionRowsAsync()).Count;

        if (response.Status == 202)
        {
            Assert.Equal(rowsBefore + 1, rowsAfter);
            Assert.NotEmpty(messages);
            Assert.All(messages, m => Assert.True(MetricsMessageParser.Parse(m).IsValid));
        }
        else
        {
            Assert.InRange(response.Status, 400, 499);
            Assert.Equal(rowsBefore, rowsAfter);
            Assert.Empty(messages);
        }
    }
}
