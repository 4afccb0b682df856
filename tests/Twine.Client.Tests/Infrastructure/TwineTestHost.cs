using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Time.Testing;
using Twine.Client;
using Twine.Client.Auth;
using Twine.Sandbox;

namespace Twine.Client.Tests.Infrastructure;

/// <summary>
/// An in-process sandbox on loopback plus a client built through AddTwineClient, both on one FakeTimeProvider,
/// so token expiry, retry delays and timeouts move only when a test advances the clock.
/// </summary>
internal sealed class TwineTestHost : IAsyncDisposable
{
    /// <summary>Real-time bound on anything a test awaits: a bug fails the test instead of hanging it.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <summary>For calls that must finish without the clock moving (nothing retried): a retry would wait here.</summary>
    public static readonly TimeSpan NoRetryGuard = TimeSpan.FromSeconds(15);

    private TwineTestHost(ObservableFakeTimeProvider time, SandboxServer sandbox, ServiceProvider services)
    {
        Time = time;
        Sandbox = sandbox;
        Services = services;
    }

    public ObservableFakeTimeProvider Time { get; }
    public SandboxServer Sandbox { get; }
    public ServiceProvider Services { get; }
    public ITwineClient Client => Services.GetRequiredService<ITwineClient>();

    public int TokenRequests => Sandbox.RequestCount("POST", "/oauth/token");

    public static async Task<TwineTestHost> StartAsync(
        Action<TwineClientOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        Action<IHttpClientBuilder>? http = null,
        Action<SandboxOptions>? sandbox = null,
        Action<HttpStandardResilienceOptions>? resilience = null)
    {
        var time = new ObservableFakeTimeProvider(new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero));
        var sandboxOptions = new SandboxOptions { Port = 0, TimeProvider = time };
        sandbox?.Invoke(sandboxOptions);
        var server = await SandboxServer.StartAsync(sandboxOptions, TestContext.Current.CancellationToken);

        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(time);
        services?.Invoke(collection);
        var builder = collection.AddTwineClient(options =>
        {
            options.BaseAddress = server.BaseAddress;
            options.ClientId = server.ClientId;
            options.ClientSecret = server.ClientSecret;
            configure?.Invoke(options);
        }, options =>
        {
            // Long enough that advancing the fake clock for a retry delay never times out an attempt by accident.
            options.AttemptTimeout.Timeout = TimeSpan.FromMinutes(2);
            options.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(30);
            options.Retry.Delay = TimeSpan.FromSeconds(2);
            options.Retry.MaxRetryAttempts = 3;

            // The standard handler asks for at least twice the attempt timeout.
            options.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(5);
            resilience?.Invoke(options);
        });
        http?.Invoke(builder);

        var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        return new TwineTestHost(time, server, provider);
    }

    /// <summary>
    /// Awaits a call while moving the fake clock (retry delays and timeouts run on it): at each turn, the clock advances
    /// one <paramref name="step"/> only if <paramref name="shouldAdvance"/> says so (e.g. "the slow attempt has reached
    /// the sandbox", "the retry has not been sent yet"), so tests control which timers may fire.
    /// </summary>
    public async Task<T> DriveAsync<T>(Task<T> call, Func<bool> shouldAdvance, TimeSpan? step = null, TimeSpan? limit = null)
    {
        var by = step ?? TimeSpan.FromMilliseconds(250);
        var max = limit ?? TimeSpan.FromMinutes(10);
        var advanced = TimeSpan.Zero;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!call.IsCompleted && deadline.Elapsed < Guard)
        {
            // A moment of real time for the client and the sandbox between steps; ends early when the call does.
            await Task.WhenAny(call, Task.Delay(5, TestContext.Current.CancellationToken));
            if (!call.IsCompleted && advanced < max && shouldAdvance())
            {
                Time.Advance(by);
                advanced += by;
            }
        }

        return await call.WaitAsync(Guard, TestContext.Current.CancellationToken);
    }

    public async Task DriveAsync(Task call, Func<bool> shouldAdvance, TimeSpan? step = null)
    {
        await DriveAsync(WithResult(call), shouldAdvance, step);

        static async Task<bool> WithResult(Task task)
        {
            await task;
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A call left pending by a failed assertion waits on fake timers (retry delay, timeouts), and Polly's pipeline
        // disposal polls for pending executions on the same fake clock: keep the clock moving until disposal ends.
        var disposal = Services.DisposeAsync().AsTask();
        for (var i = 0; i < 2_000 && !disposal.IsCompleted; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(disposal, Task.Delay(5, CancellationToken.None));
        }

        await disposal.WaitAsync(Guard, CancellationToken.None);
        await Sandbox.DisposeAsync();
    }
}

/// <summary>A credentials provider whose answers a test controls; counts refreshes.</summary>
internal sealed class TestCredentialsProvider(TwineCredentials current, TwineCredentials? onRefresh) : ITwineCredentialsProvider
{
    private int _refreshes;

    public int Refreshes => Volatile.Read(ref _refreshes);

    public ValueTask<TwineCredentials> GetCredentialsAsync(bool refresh, CancellationToken cancellationToken)
    {
        if (refresh)
        {
            Interlocked.Increment(ref _refreshes);
            if (onRefresh is not null)
            {
                current = onRefresh;
            }
        }

        return ValueTask.FromResult(current);
    }
}

/// <summary>Lets a test alter a request on its way to the sandbox (to reach error answers the client never provokes).</summary>
internal sealed class TamperingHandler(Func<HttpRequestMessage, Task> tamper) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await tamper(request);
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Fixed ids from the sandbox seed data.</summary>
internal static class Seed
{
    public const string Organization = "58c4554710123c5c40dbab81";
    public const string GroupPatientsLead = "5755db2a3db4179179999acf";
    public const string GroupTeamHealth = "57b36e3c04ad8c2224f2af38";
    public const string Coach = "5a0c8e27a9d454cc150997c9";
    public const string Patient = "5a0c8e27a9d454cc150997f7";
    public const string PatientIdentifierSystem = "medical-record-number";
    public const string PatientIdentifierValue = "121212";
    public const string CalendarEvent = "5a0c8e2aa9d454cc1509a142";
    public const string EmailHistory = "595fddec28c5041b84467592";
    public const string HealthProfile = "59d441ac21741161bbe266b5";
    public const string HealthProfileQuestion = "59d435931d078505ba744e88";
    public const string HealthProfileAnswer = "5a4200000000000000000000";
    public const string HealthQuestionDefinition = "21";
    public const string Action = "59653f699fc8be3938f04491";
    public const string Bundle = "596535d9608f63d531b7e34a";
    public const string Plan = "58aacf0d076adcef394bac35";
}

/// <summary>A FakeTimeProvider that records the due time of every timer created on it (retry delays, timeouts).</summary>
internal sealed class ObservableFakeTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<TimeSpan> _dueTimes = new();

    public IReadOnlyCollection<TimeSpan> DueTimes => _dueTimes;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _dueTimes.Enqueue(dueTime);
        return base.CreateTimer(callback, state, dueTime, period);
    }
}
