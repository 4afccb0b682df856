using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Metrics;

/// <summary>
/// Reads a POST /api/metrics body (Twine's createPatientHealthMetric document: one patient_health_metric resource or
/// an array of them) into the queue messages that will carry it, or the problems that refuse it. Pure: nothing is
/// stored, so the property-based contract test runs it on thousands of documents. The same value rules
/// (<see cref="JsonRules.CheckValues"/>) and resource rules (<see cref="MetricResourceValidator"/>) run again on
/// every queue message, so what is accepted here always parses there.
/// </summary>
public static class MetricsRequestReader
{
    private static readonly string[] TopLevelMembers = ["data", "meta", "jsonapi"];
    private static readonly string[] MetaMembers = ["ignore_duplicates"];

    public static MetricsRequest Read(ReadOnlyMemory<byte> body) => Read(body, minified: false);

    /// <summary>
    /// Metrics another route mapped (POST /api/fhir): when every one passes the rules (<see cref="MappedMetric.PassesRules"/>)
    /// each is written once, straight into the bytes its queue message carries, and planned as <see cref="Read(ReadOnlyMemory{byte})"/>
    /// plans a document (the same limits, pointers <c>/data/3</c>). Otherwise their nodes go through
    /// <see cref="ReadMapped(IReadOnlyList{JsonNode})"/>, so a refusal comes from the rules themselves.
    /// </summary>
    public static MetricsRequest ReadMapped(IReadOnlyList<MappedMetric> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count is 0 or > QueueMessageLimits.MaxMetricsPerIngestion || !metrics.All(m => m.PassesRules()))
        {
            return ReadMapped([.. metrics.Select(m => (JsonNode)m.ToJsonObject())]);
        }

        var minified = new List<byte[]>(metrics.Count);
        var buffer = new ArrayBufferWriter<byte>(512);
        using var writer = new Utf8JsonWriter(buffer, MetricsMessageWriter.WriterOptions);
        foreach (var metric in metrics)
        {
            metric.WriteTo(writer);
            writer.Flush();
            minified.Add(buffer.WrittenSpan.ToArray());
            buffer.ResetWrittenCount();
            writer.Reset();
        }

        var errors = new List<ProblemError>();
        var plan = MetricsMessageWriter.Plan(minified, "/data/", errors);
        return errors.Count > 0 ? new MetricsRequest(null, 0, errors, null) : new MetricsRequest(plan, metrics.Count, [], null);
    }

    /// <summary>
    /// Metrics another route mapped to <c>patient_health_metric</c> nodes (POST /api/fhir): written once as the
    /// document POST /api/metrics takes, minified as the queue carries them, then read by the same code with the same
    /// rules and limits. Only the re-minifying is skipped: each metric's bytes in that document are already the queue's.
    /// Error pointers are the document's (<c>/data/3/…</c>).
    /// </summary>
    public static MetricsRequest ReadMapped(IReadOnlyList<JsonNode> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var buffer = new ArrayBufferWriter<byte>(256 + (metrics.Count * 512));
        using (var writer = new Utf8JsonWriter(buffer, MetricsMessageWriter.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("data");
            foreach (var metric in metrics)
            {
                metric.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Read(buffer.WrittenMemory, minified: true);
    }

    private static MetricsRequest Read(ReadOnlyMemory<byte> body, bool minified)
    {
        if (!JsonRules.TryParse(body, out var document, out var reason))
        {
            return new MetricsRequest(null, 0, [], $"The body is not valid JSON ({reason}).");
        }

        using (document)
        {
            var errors = new List<ProblemError>();
            var (metrics, pointerPrefix) = ReadDocument(document.RootElement, errors);
            if (errors.Count > 0)
            {
                return new MetricsRequest(null, 0, errors, null);
            }

            var plan = MetricsMessageWriter.Plan(metrics, pointerPrefix, errors, minified);
            return errors.Count > 0 ? new MetricsRequest(null, 0, errors, null) : new MetricsRequest(plan, metrics.Count, [], null);
        }
    }

    /// <summary>The document's metrics and the pointer prefix of each ("/data/" + index, or "/data" for a single resource).</summary>
    private static (List<JsonElement> Metrics, string PointerPrefix) ReadDocument(JsonElement root, List<ProblemError> errors)
    {
        var metrics = new List<JsonElement>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ProblemError.AtPointer("", "The body must be a JSON:API document (an object with 'data')."));
            return (metrics, "");
        }

        if (!JsonRules.CheckValues(root, errors))
        {
            return (metrics, "");
        }

        JsonRules.CheckMembers(root, "", TopLevelMembers, errors);
        if (JsonRules.TryGetObject(root, "meta", "", errors, out var meta, required: false))
        {
            JsonRules.CheckMembers(meta, "/meta", MetaMembers, errors);
            if (JsonRules.GetBoolean(meta, "ignore_duplicates", "/meta", errors) == false)
            {
                // Queue delivery is at least once: a repeated message must be skipped by Twine, not refused as a duplicate.
                errors.Add(ProblemError.AtPointer("/meta/ignore_duplicates",
                    "'ignore_duplicates' cannot be false: metrics are always delivered with ignore_duplicates true, so that a repeated delivery is skipped instead of failing."));
            }
        }

        JsonRules.TryGetObject(root, "jsonapi", "", errors, out _, required: false);

        if (!root.TryGetProperty("data", out var data) || data.ValueKind == JsonValueKind.Null)
        {
            errors.Add(ProblemError.AtPointer("/data", "'data' is required: a patient_health_metric resource or an array of them."));
            return (metrics, "");
        }

        if (data.ValueKind == JsonValueKind.Object)
        {
            MetricResourceValidator.Validate(data, "/data", errors);
            metrics.Add(data);
            return (metrics, "/data");
        }

        if (data.ValueKind != JsonValueKind.Array)
        {
            errors.Add(ProblemError.AtPointer("/data", "'data' must be a resource object or an array of them."));
            return (metrics, "");
        }

        var count = data.GetArrayLength();
        if (count == 0 || count > QueueMessageLimits.MaxMetricsPerIngestion)
        {
            errors.Add(ProblemError.AtPointer("/data", $"'data' must hold 1 to {QueueMessageLimits.MaxMetricsPerIngestion} metrics; it holds {count}."));
            return (metrics, "");
        }

        var index = 0;
        foreach (var metric in data.EnumerateArray())
        {
            MetricResourceValidator.Validate(metric, $"/data/{index++}", errors);
            metrics.Add(metric);
        }

        return (metrics, "/data/");
    }
}

/// <summary>A metrics request read: its messages (<see cref="Plan"/>), or the problems (422) or the syntax error (400).</summary>
public sealed record MetricsRequest(MetricsMessagePlan? Plan, int MetricCount, IReadOnlyList<ProblemError> Errors, string? MalformedReason);
