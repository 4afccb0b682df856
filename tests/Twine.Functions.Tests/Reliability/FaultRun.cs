using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Reliability;

/// <summary>
/// Ingestions accepted through the real POST /api/metrics handler, and the checks every fault ends with: the metrics
/// counted in the sandbox, the ingestions' final statuses, and what was lost. Appends the row to reliability-figures.md.
/// </summary>
internal sealed class FaultRun
{
    private static readonly IngestionStatus[] Final = [IngestionStatus.Succeeded, IngestionStatus.PartlySucceeded, IngestionStatus.Failed];

    private FaultRun(TestApp app, SandboxServer sandbox, string connectionString, List<string> ids, HashSet<DateTimeOffset> instants, int messages)
    {
        App = app;
        Sandbox = sandbox;
        ConnectionString = connectionString;
        Ids = ids;
        Instants = instants;
        Messages = messages;
    }

    public TestApp App { get; }
    public SandboxServer Sandbox { get; }
    public string ConnectionString { get; }
    public List<string> Ids { get; }
    public HashSet<DateTimeOffset> Instants { get; }
    public int Accepted => Instants.Count;
    public int Messages { get; }

    /// <summary><paramref name="ingestions"/> POSTs of <paramref name="metricsEach"/> metrics (150 = two queue messages each).</summary>
    public static async Task<FaultRun> IngestAsync(TestApp app, SandboxServer sandbox, int ingestions = 3, int metricsEach = 150, string? connectionString = null)
    {
        connectionString ??= app.ConnectionString;
        var ids = new List<string>();
        var instants = new HashSet<DateTimeOffset>();
        for (var i = 0; i < ingestions; i++)
        {
            var (body, mine) = ReliabilityApp.Metrics(metricsEach);
            var response = await app.PostMetricsAsync(body);
            Assert.Equal(202, response.Status);
            ids.Add(response.IngestionId);
            instants.UnionWith(mine);
        }

        var messages = await ReliabilityApp.QueueCountAsync(connectionString, app.Names.MetricsQueue);
        Assert.Equal(ingestions * ((metricsEach + 99) / 100), messages);
        return new FaultRun(app, sandbox, connectionString, ids, instants, messages);
    }

    private static string Kinds(AtLeastOnceQueueHost host) =>
        host.FailureKinds.Count == 0 ? "" : " (" + string.Join(", ", host.FailureKinds.GroupBy(k => k).Select(g => $"{g.Count()}× {g.Key}")) + ")";

    public async Task<List<IngestionRecord>> RecordsAsync()
    {
        var records = new List<IngestionRecord>();
        foreach (var id in Ids)
        {
            records.Add((await App.Store.GetAsync(id, CancellationToken.None))!);
        }

        return records;
    }

    /// <summary>The fault was survived: every metric in Twine once, every ingestion succeeded.</summary>
    public async Task AssertEveryMetricInTwineOnceAsync(AtLeastOnceQueueHost host, string fault, string how)
    {
        var records = await RecordsAsync();
        Assert.All(records, r => Assert.Equal(IngestionStatus.Succeeded, r.Status));
        await AssertNothingLostAsync(host, fault, how, "all **succeeded**");
        Assert.Equal(0, host.Poisoned);
    }

    /// <summary>
    /// Nothing lost: no metric twice in Twine, every ingestion in a final status, and every accepted metric either in
    /// Twine or under an ingestion whose status tells the partner it did not (all) get there.
    /// </summary>
    public async Task AssertNothingLostAsync(AtLeastOnceQueueHost host, string fault, string how, string statuses)
    {
        var records = await RecordsAsync();
        Assert.All(records, r => Assert.Contains(r.Status, Final));
        var (distinct, total) = await ReliabilityApp.CountInTwineAsync(Sandbox, Instants);
        Assert.Equal(distinct, total); // exactly once: no metric twice
        var reportedUndelivered = records.Where(r => r.Status != IngestionStatus.Succeeded)
            .Sum(r => r.MetricsTotal - r.Created - r.IgnoredDuplicates);
        var lost = Accepted - distinct - reportedUndelivered;
        Assert.Equal(0, lost);
        Assert.Equal(0, await ReliabilityApp.QueueCountAsync(ConnectionString, App.Names.MetricsQueue));

        var finals = string.Join(", ", records.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"));
        ReliabilityApp.Report(
            $"| {fault} | {how} | {Accepted} | {distinct} (×1) | {finals}; {statuses} | {host.Deliveries} / {host.Failures}{Kinds(host)} / {host.Poisoned} | {lost} |");
    }
}
