namespace Twine.Functions.Processing;

/// <summary>
/// The queue triggers' queue names as binding expressions: the host resolves <c>%Storage:MetricsQueue%</c> from the
/// app setting <c>Storage__MetricsQueue</c>, the same setting <see cref="Storage.StorageOptions"/> binds, so the HTTP
/// edge and the triggers always name the same queue. The queue extension moves a message that failed
/// <see cref="MaxDequeueCount"/> times to <c>&lt;queue&gt;-poison</c>; the poison triggers compose that name the same way.
/// </summary>
public static class ProcessingQueues
{
    public const string MetricsQueue = "%Storage:MetricsQueue%";
    public const string CalendarEventsQueue = "%Storage:CalendarEventsQueue%";
    public const string PoisonSuffix = "-poison";
    public const string MetricsPoisonQueue = MetricsQueue + PoisonSuffix;
    public const string CalendarEventsPoisonQueue = CalendarEventsQueue + PoisonSuffix;

    /// <summary>The connection setting every trigger names (a connection string, or service URIs for managed identity).</summary>
    public const string Connection = Storage.StorageConnectionOptions.SettingName;

    /// <summary>host.json <c>extensions.queues.maxDequeueCount</c> (a test keeps the two equal): quoted in poison reasons.</summary>
    public const int MaxDequeueCount = 5;
}
