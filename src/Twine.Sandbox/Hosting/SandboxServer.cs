using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Twine.Sandbox.Faults;
using Twine.Sandbox.Hosting;

namespace Twine.Sandbox;

/// <summary>A running sandbox: Kestrel on loopback plus the test controls (docs/SANDBOX.md).</summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SandboxState _state;

    private SandboxServer(WebApplication app, SandboxState state, Uri baseAddress)
    {
        _app = app;
        _state = state;
        BaseAddress = baseAddress;
    }

    /// <summary>http://127.0.0.1:{port}/pub/ (always ends with "/").</summary>
    public Uri BaseAddress { get; }

    /// <summary>The server root, e.g. for the /_sandbox controls.</summary>
    public Uri RootAddress => new(BaseAddress, "/");

    /// <summary>The default client id, scoped to the seed's first organization (<see cref="OrganizationId"/>).</summary>
    public string ClientId => _state.Tokens.ClientId;

    public string ClientSecret => _state.Tokens.ClientSecret;

    /// <summary>The organization the default credentials are scoped to.</summary>
    public string OrganizationId => _state.Tokens.Client(0).OrganizationId;

    /// <summary>The second client id, scoped to the seed's second organization; null if the seed has only one.</summary>
    public string? SecondClientId => _state.Tokens.ClientCount > 1 ? _state.Tokens.Client(1).Id : null;

    public string? SecondClientSecret => _state.Tokens.ClientCount > 1 ? _state.Tokens.Client(1).Secret : null;

    /// <summary>The organization the second credentials are scoped to; null if the seed has only one.</summary>
    public string? SecondOrganizationId => _state.Tokens.ClientCount > 1 ? _state.Tokens.Client(1).OrganizationId : null;

    public SandboxFaults Faults => _state.Faults;

    /// <summary>Starts a sandbox; Port = 0 picks a free port.</summary>
    public static Task<SandboxServer> StartAsync(SandboxOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(options ?? new SandboxOptions(), quiet: true, cancellationToken);

    internal static async Task<SandboxServer> StartAsync(SandboxOptions options, bool quiet, CancellationToken cancellationToken)
    {
        var state = new SandboxState(options);
        var app = SandboxApp.Build(options, state, quiet);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            // e.g. the port is taken: do not leave a half-started host behind.
            await app.DisposeAsync();
            throw;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var bound = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no address");
        var root = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal));
        return new SandboxServer(app, state, new Uri(root, "/pub/"));
    }

    /// <summary>Seed data back, faults and counters cleared, tokens revoked, credentials restored.</summary>
    public void Reset() => _state.Reset();

    /// <summary>New default credentials (first organization): only the new pair is accepted afterwards; issued tokens stay valid.</summary>
    public void RotateCredentials(string clientId, string clientSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientSecret);
        _state.Tokens.Rotate(clientId, clientSecret);
    }

    /// <summary>Every access token issued so far now gets 401 Unauthorized.</summary>
    public void ExpireAllTokens() => _state.Tokens.ExpireAll();

    /// <summary>
    /// Adds an email history (Twine writes these itself; the API only reads them). The sender must be a coach and the
    /// receiver a patient of the sandbox; statuses are the spec's status_times names. Returns the new id.
    /// </summary>
    public string AddEmailHistory(string senderId, string receiverId, DateTimeOffset sendTime, string emailType = "reminder",
        IReadOnlyDictionary<string, DateTimeOffset>? statusTimes = null) =>
        Store.EmailHistoryControls.Add(_state.Store, _state.Now(), senderId, receiverId, sendTime, emailType, statusTimes);

    /// <summary>Adds <paramref name="count"/> email histories (processed and delivered), the newest sent at <paramref name="newest"/>
    /// and one every <paramref name="interval"/> before it, to the receivers in turn. For backlogs in tests and benchmarks.</summary>
    public IReadOnlyList<string> AddEmailHistories(int count, string senderId, IReadOnlyList<string> receiverIds, DateTimeOffset newest, TimeSpan interval) =>
        Store.EmailHistoryControls.AddMany(_state.Store, _state.Now(), count, senderId, receiverIds, newest, interval);

    /// <summary>Sets one status time of an email history (e.g. "open" arriving later); its updated_at becomes now.</summary>
    public void SetEmailStatus(string emailHistoryId, string status, DateTimeOffset at) =>
        Store.EmailHistoryControls.SetStatus(_state.Store, _state.Now(), emailHistoryId, status, at);

    /// <summary>
    /// Adds a coach to an organization (default: the first) and, optionally, to groups; returns its id. The API has no
    /// create operation for coaches (Twine's own admin adds them): tests use this for "a new coach joins".
    /// </summary>
    public string AddCoach(string firstName, string lastName, string? organizationId = null, IReadOnlyList<string>? groupIds = null)
    {
        var relationships = new System.Text.Json.Nodes.JsonObject
        {
            ["organization"] = Resources.Common.ToOne("organization", organizationId ?? OrganizationId),
            ["groups"] = new System.Text.Json.Nodes.JsonObject
            {
                ["data"] = new System.Text.Json.Nodes.JsonArray([.. (groupIds ?? []).Select(g => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject { ["type"] = "group", ["id"] = g })]),
            },
        };
        var coach = Resources.Common.NewResource("coach", new System.Text.Json.Nodes.JsonObject { ["first_name"] = firstName, ["last_name"] = lastName },
            relationships, _state.Now());
        _state.Store.Add(coach);
        return (string)coach["id"]!;
    }

    /// <summary>Requests received on "METHOD /route" (spec path template without /pub), faulted ones included.</summary>
    public int RequestCount(string method, string route) => _state.Requests.Get(RouteKey.Of(method, route));

    /// <summary>All counters, keyed "METHOD /route".</summary>
    public IReadOnlyDictionary<string, int> RequestCounts() => _state.Requests.Snapshot();

    /// <summary>
    /// Requests received and not answered yet: a test driving a fake clock advances it only while none is in flight, so
    /// that a slow answer on a busy machine never looks like a client timeout.
    /// </summary>
    public int InFlightRequests => _state.InFlight;

    /// <summary>Requests waiting out <see cref="SandboxOptions.Latency"/> right now.</summary>
    public int DelayedRequests => _state.Latency.Waiting;

    /// <summary>
    /// Completes once at least <paramref name="count"/> requests wait out the latency at the same time: a test with a
    /// FakeTimeProvider awaits this, then advances the clock (a timer that does not exist yet would not fire).
    /// </summary>
    public Task WaitForDelayedRequestsAsync(int count, CancellationToken cancellationToken = default) =>
        _state.Latency.WhenWaitingAsync(count, cancellationToken);

    /// <summary>Completes when the server stops (Ctrl+C for the standalone app).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
