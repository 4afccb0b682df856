using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Runtime.InteropServices;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Metrics;

/// <summary>
/// Splits an ingestion's metrics into version-1 metrics messages (docs/QUEUE-MESSAGES.md): at most 100 metrics per
/// message and at most 64 KiB per message after base64. Each metric is carried as received, minified.
/// </summary>
public static class MetricsMessageWriter
{
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        // The queue is not HTML: keep non-ASCII text as is instead of \uXXXX, which would only make messages larger.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// The envelope around the data array, sized with the widest index and count a message can have, plus room for the
    /// retry members a reschedule adds (<see cref="QueueRetryFields.MaxBytes"/>), so a rescheduled message still fits.
    /// </summary>
    public static readonly int EnvelopeBytes = Write(new string('0', 32), 99999, 99999, []).Length + QueueRetryFields.MaxBytes;

    /// <summary>
    /// Plans the messages. Returns the problems instead when a single metric cannot fit in one message.
    /// The ingestion id is filled in later (<see cref="Write(string, int, int, IReadOnlyList{byte[]})"/>):
    /// planning happens during validation, before anything is stored.
    /// </summary>
    /// <param name="minified">The document was written by <see cref="Utf8JsonWriter"/> with <see cref="WriterOptions"/>
    /// (<see cref="MetricsRequestReader.ReadMapped"/>): each metric's own bytes are already what <see cref="Minify"/> would write.</param>
    public static MetricsMessagePlan Plan(IReadOnlyList<JsonElement> metrics, string pointerPrefix, List<ProblemError> errors, bool minified = false) =>
        Plan(metrics.Select(m => minified ? JsonMarshal.GetRawUtf8Value(m).ToArray() : Minify(m)).ToList(), pointerPrefix, errors);

    /// <summary>Plans the messages of metrics already minified as the queue carries them.</summary>
    public static MetricsMessagePlan Plan(IReadOnlyList<byte[]> minifiedMetrics, string pointerPrefix, List<ProblemError> errors)
    {
        var batches = new List<List<byte[]>>();
        var current = new List<byte[]>();
        var currentBytes = EnvelopeBytes;
        for (var i = 0; i < minifiedMetrics.Count; i++)
        {
            var bytes = minifiedMetrics[i];
            if (EnvelopeBytes + bytes.Length > QueueMessageLimits.MaxJsonBytes)
            {
                errors.Add(ProblemError.AtPointer(pointerPrefix.EndsWith('/') ? $"{pointerPrefix}{i}" : pointerPrefix,
                    $"This metric is too large to queue ({bytes.Length} bytes minified; at most {QueueMessageLimits.MaxJsonBytes - EnvelopeBytes})."));
                continue;
            }

            var added = bytes.Length + (current.Count == 0 ? 0 : 1); // a comma between elements
            if (current.Count == QueueMessageLimits.MaxMetricsPerMessage || currentBytes + added > QueueMessageLimits.MaxJsonBytes)
            {
                batches.Add(current);
                current = [];
                currentBytes = EnvelopeBytes;
                added = bytes.Length;
            }

            current.Add(bytes);
            currentBytes += added;
        }

        if (current.Count > 0)
        {
            batches.Add(current);
        }

        return new MetricsMessagePlan(batches);
    }

    public static byte[] Write(string ingestionId, int messageIndex, int messageCount, IReadOnlyList<byte[]> minifiedMetrics)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + minifiedMetrics.Sum(m => m.Length + 1));
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteString("ingestionId", ingestionId);
            writer.WriteNumber("messageIndex", messageIndex);
            writer.WriteNumber("messageCount", messageCount);
            writer.WriteStartArray("data");
            foreach (var metric in minifiedMetrics)
            {
                writer.WriteRawValue(metric, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Minify(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            element.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The metrics of one ingestion, grouped into messages (each batch minified metrics).</summary>
public sealed record MetricsMessagePlan(IReadOnlyList<List<byte[]>> Batches)
{
    public int MessageCount => Batches.Count;

    public IEnumerable<byte[]> Messages(string ingestionId) =>
        Batches.Select((batch, index) => MetricsMessageWriter.Write(ingestionId, index, Batches.Count, batch));
}
