namespace Twine.Functions.Ingestions.Queues;

public static class QueueMessageLimits
{
    /// <summary>Azure Storage queues take at most 64 KiB per message, counted after encoding.</summary>
    public const int MaxEncodedBytes = 64 * 1024;

    /// <summary>Base64 turns 3 bytes into 4 characters, so the JSON may be at most 48 KiB.</summary>
    public const int MaxJsonBytes = MaxEncodedBytes / 4 * 3;

    public const int MaxMetricsPerMessage = 100;

    /// <summary>The HTTP edge takes at most 1,000 metrics per request.</summary>
    public const int MaxMetricsPerIngestion = 1000;

    /// <summary>A queue message's messageCount is at most this (one metric per message at worst).</summary>
    public const int MaxMessagesPerIngestion = MaxMetricsPerIngestion;

    /// <summary>
    /// How deep one resource (a metric, a calendar event) may nest, counting the resource object as 1. The edge and the
    /// processor check it per resource, so it holds whatever envelope is around it: a request body, a queue message and
    /// Twine's request each add at most two levels, far inside the JSON parsers' limit of 64.
    /// </summary>
    public const int MaxResourceDepth = 32;

    public static int EncodedLength(int jsonBytes) => (jsonBytes + 2) / 3 * 4;
}
