using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Twine.Testing;

/// <summary>
/// A logger provider for one test's service provider that keeps only the records written on behalf of the test that
/// created it. A per-provider sink alone is not enough: the Azure SDK writes its log lines to process-wide
/// EventSources, and every service provider's <c>AzureEventSourceLogForwarder</c> (Microsoft.Extensions.Azure) hears
/// every test's requests, so a test running in parallel would see another test's request URLs. The filter runs on the
/// thread that writes the record, where xunit's <see cref="TestContext.Current"/> (an async-local) names the test whose
/// code caused it; records caused by another test, or by no test, are dropped.
/// </summary>
public static class TestLogCapture
{
    /// <summary>
    /// Registers a provider that writes into <paramref name="collector"/> what is logged within the current test (all
    /// records when there is no current test), and the collector itself.
    /// </summary>
    public static ILoggingBuilder AddTestLogCapture(this ILoggingBuilder logging, FakeLogCollector collector)
    {
        var owner = TestContext.Current.Test?.UniqueID;
        logging.Services.AddSingleton(collector);
        logging.Services.AddSingleton<ILoggerProvider>(_ => new OwnedLoggerProvider(new FakeLoggerProvider(collector), owner));
        return logging;
    }

    private static bool InOwner(string? owner) => owner is null || TestContext.Current.Test?.UniqueID == owner;

    private sealed class OwnedLoggerProvider(FakeLoggerProvider inner, string? owner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) => new OwnedLogger(inner.CreateLogger(categoryName), owner);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => inner.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class OwnedLogger(ILogger inner, string? owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (InOwner(owner))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
