using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Twine.Client.Models;
using Twine.Client.Serialization;

namespace Twine.Benchmarks;

/// <summary>
/// Bytes allocated to serialise one 100-metric bulk create document, the way the client does it
/// (<c>JsonSerializer.SerializeToUtf8Bytes</c> with the source-generated context). Divide by 100 for bytes per metric.
/// </summary>
[MemoryDiagnoser]
public class BulkCreateSerializationBenchmarks
{
    public const int MetricCount = 100;

    private TwineRequest<List<PatientHealthMetricResource>> _document = null!;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    [GlobalSetup]
    public void Setup() => _document = BuildDocument(MetricCount);

    /// <summary>What TwineClient sends: a fresh byte array per request.</summary>
    [Benchmark(Baseline = true)]
    public byte[] SerializeToUtf8Bytes() =>
        JsonSerializer.SerializeToUtf8Bytes(_document, TwineJsonContext.Default.TwineRequestListPatientHealthMetricResource);

    /// <summary>The same into a reused buffer: what serialisation itself costs, without the final array.</summary>
    [Benchmark]
    public int SerializeToReusedBuffer()
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer);
        JsonSerializer.Serialize(writer, _document, TwineJsonContext.Default.TwineRequestListPatientHealthMetricResource);
        return _buffer.WrittenCount;
    }

    public static TwineRequest<List<PatientHealthMetricResource>> BuildDocument(int count)
    {
        var start = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        var metrics = new List<PatientHealthMetricResource>(count);
        for (var i = 0; i < count; i++)
        {
            // Half by id, half by meta.query: partners use both.
            var patient = i % 2 == 0
                ? ResourceIdentifier.Patient("5a0c8e27a9d454cc150997f7")
                : ResourceIdentifier.PatientByIdentifier("medical-record-number", "121212", "58c4554710123c5c40dbab81");
            metrics.Add(new PatientHealthMetricResource
            {
                Attributes = new PatientHealthMetricAttributes
                {
                    Type = "weight",
                    Code = new MetricCode { System = "LOINC", Value = "29463-7" },
                    Value = 70.5 + (i % 10),
                    Unit = "kg",
                    OccurredAt = start.AddMinutes(i),
                },
                Relationships = new PatientHealthMetricRelationships { Patient = Relationship.ToOne(patient) },
            });
        }

        return new TwineRequest<List<PatientHealthMetricResource>> { Data = metrics, Meta = new RequestMeta { IgnoreDuplicates = true } };
    }
}
