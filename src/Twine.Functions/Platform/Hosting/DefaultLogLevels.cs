using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging;

namespace Twine.Functions.Platform.Hosting;

/// <summary>
/// The worker's log levels unless configuration says otherwise. The Azure SDK (Azure.Core's request and response lines)
/// and HttpClient (System.Net.Http.HttpClient.{name}.LogicalHandler/ClientHandler) write a line per request at
/// Information, with the URL: storage URLs carry table keys (externalIds, hashed keys, patient ids of email rows); Twine
/// URLs carry Twine ids (HttpClient redacts their query strings).
/// They stay at Warning, so their failures still show; the app's own lines (ids, counts, status codes, req_ids) stay
/// at Information. Polly's per-attempt lines repeat what the Twine client logs itself (operation, status, req_id); its
/// retries are Warnings. host.json sets the same levels for the Functions host's own logs (and the host's queue polling).
/// </summary>
public static class DefaultLogLevels
{
    /// <summary>Category (prefix) → level, as configuration keys <c>Logging:LogLevel:{category}</c>.</summary>
    public static IReadOnlyDictionary<string, LogLevel> Levels { get; } = new Dictionary<string, LogLevel>(StringComparer.OrdinalIgnoreCase)
    {
        ["Default"] = LogLevel.Information,
        ["Twine"] = LogLevel.Information,
        ["Azure"] = LogLevel.Warning,          // every Azure SDK client's forwarded EventSource lines (Azure.Identity, Azure.Data.Tables, …)
        ["Azure.Core"] = LogLevel.Warning,     // the SDK pipeline: one line per request and response, with the URL
        ["System.Net.Http"] = LogLevel.Warning, // IHttpClientFactory's request lines, with the URL
        ["Polly"] = LogLevel.Warning,          // the Twine client's resilience pipeline: a line per attempt (retries are Warnings)
    };

    /// <summary>
    /// Adds <see cref="Levels"/> as the first (lowest-precedence) configuration source, so any other source — app
    /// settings such as <c>Logging__LogLevel__Azure.Core=Information</c>, environment variables — overrides them.
    /// </summary>
    public static void AddTo(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = Levels.Select(l => KeyValuePair.Create($"Logging:LogLevel:{l.Key}", (string?)l.Value.ToString())),
        });
}
