using Microsoft.Extensions.Logging;

namespace Twine.Functions.Ingestions.Processing;

internal static class ProcessingLogScope
{
    /// <summary>Every log line written while a message is processed (storage, Twine client) carries these ids.</summary>
    public static IDisposable? Begin(ILogger logger, string ingestionId, int messageIndex, long dequeueCount) =>
        logger.BeginScope(new Dictionary<string, object>
        {
            ["IngestionId"] = ingestionId,
            ["MessageIndex"] = messageIndex,
            ["DequeueCount"] = dequeueCount,
        });
}
