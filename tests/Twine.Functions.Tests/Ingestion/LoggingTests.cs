using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>Logs carry ids, counts and status codes; never the body (patient data).</summary>
public sealed class LoggingTests(AzuriteFixture azurite)
{
    private const string Secret = "PATIENT-SECRET-7731";

    [Fact]
    public async Task An_accepted_ingestion_is_logged_with_its_id_and_counts_and_no_patient_data()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(150).With("data/7/relationships/patient/data/id", Secret).With("data/8/attributes/value", Secret);

        var id = (await app.PostMetricsAsync(body)).IngestionId;

        var records = app.Logs.GetSnapshot();
        var accepted = Assert.Single(records, r => r.Message.Contains("accepted", StringComparison.Ordinal));
        Assert.Contains(id, accepted.Message, StringComparison.Ordinal);
        Assert.Contains("150 metrics in 2 messages", accepted.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(records, r => r.Message.Contains(Secret, StringComparison.Ordinal)
                                            || (r.StructuredState ?? []).Any(kv => kv.Value?.Contains(Secret, StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task A_refused_request_is_logged_with_its_status_and_no_patient_data()
    {
        await using var app = new TestApp(azurite);
        var body = Bodies.Metrics(2).With("data/1/attributes/occurred_at", Secret);

        await app.PostMetricsAsync(body);

        var records = app.Logs.GetSnapshot();
        Assert.Contains(records, r => r.Message.Contains("refused: 422", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Message.Contains(Secret, StringComparison.Ordinal));
    }
}
