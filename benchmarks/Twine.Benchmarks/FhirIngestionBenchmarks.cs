using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Twine.Functions.Fhir;
using Twine.Functions.Metrics;

namespace Twine.Benchmarks;

/// <summary>
/// Reading 100 metrics at the edge: the JSON:API body (MetricsRequestReader) beside a FHIR batch Bundle of 100
/// vital-signs Observations (parse with Firely and FhirModelChecks, map, then the same MetricsRequestReader on the mapped
/// metrics, as the FHIR route does). Divide by 100 for time and bytes per metric; issue 12 asks the FHIR path to cost at most 3×.
/// </summary>
[MemoryDiagnoser]
public class FhirIngestionBenchmarks
{
    public const int MetricCount = 100;

    private byte[] _jsonApi = [];
    private byte[] _fhirBundle = [];
    private byte[][] _freshBundles = [];
    private int _next;
    private FhirPartner _partner = null!;

    private const string MetricTemplate =
        """{"type":"patient_health_metric","attributes":{"type":"weight","code":{"system":"LOINC","value":"29463-7"},"value":VALUE,"unit":"kg","occurred_at":"@AT@"},"relationships":{"patient":{"data":{"type":"patient","meta":{"query":{"identifier":{"system":"medical-record-number","value":"121212"},"organization":"58c4554710123c5c40dbab81"}}}}}}""";

    private const string EntryTemplate =
        """{"fullUrl":"urn:uuid:00000000-0000-4000-8000-INDEX","resource":{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"identifier":{"system":"http://hospital.example.org/mrn","value":"121212"}},"effectiveDateTime":"@AT@","valueQuantity":{"value":VALUE,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}},"request":{"method":"POST","url":"Observation"}}""";

    [GlobalSetup]
    public void Setup()
    {
        _partner = new FhirPartner(new FhirPartnerOptions
        {
            Organization = "58c4554710123c5c40dbab81",
            IdentifierSystems = [new() { FhirSystem = "http://hospital.example.org/mrn", TwineSystem = "medical-record-number" }],
        });

        var metrics = new StringBuilder();
        var entries = new StringBuilder();
        for (var i = 0; i < MetricCount; i++)
        {
            var at = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(i).ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);
            var value = (70.5 + i % 10).ToString(CultureInfo.InvariantCulture);
            metrics.Append(i == 0 ? "" : ",").Append(MetricTemplate.Replace("VALUE", value, StringComparison.Ordinal).Replace("@AT@", at, StringComparison.Ordinal));
            entries.Append(i == 0 ? "" : ",").Append(EntryTemplate.Replace("VALUE", value, StringComparison.Ordinal).Replace("@AT@", at, StringComparison.Ordinal)
                .Replace("INDEX", i.ToString("D12", CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        _jsonApi = Encoding.UTF8.GetBytes("{\"data\":[" + metrics + "]}");
        _fhirBundle = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[" + entries + "]}");

        // The same Bundle with other fullUrls: 16 × 100 distinct urn:uuid: values, more than the verdict cache holds.
        var bundle = Encoding.UTF8.GetString(_fhirBundle);
        _freshBundles = [.. Enumerable.Range(1, 16).Select(n => Encoding.UTF8.GetBytes(bundle.Replace("-4000-8000-", $"-4000-8{n:D3}-", StringComparison.Ordinal)))];
    }

    /// <summary>POST /api/metrics: read, validate and plan the queue messages.</summary>
    [Benchmark(Baseline = true)]
    public int JsonApi() => MetricsRequestReader.Read(_jsonApi).MetricCount;

    /// <summary>
    /// POST /api/fhir: parse the Bundle, map every Observation to a typed metric, then plan their queue messages with the
    /// metrics reader (MetricsRequestReader.ReadMapped, as FhirIngestionHandler).
    /// </summary>
    [Benchmark]
    public int FhirBundle()
    {
        var request = FhirBundleReader.ReadBundle(_fhirBundle, _partner);
        return MetricsRequestReader.ReadMapped(request.DeliveredMetrics()).MetricCount;
    }

    /// <summary>
    /// FhirBundle with fresh fullUrls each time, as a real stream sends them: the other rows read the same 100 urn:uuid:
    /// values on every call, whose verdicts the walk then remembers (FhirLiteralVerdicts).
    /// </summary>
    [Benchmark]
    public int FhirBundleFreshFullUrls()
    {
        var request = FhirBundleReader.ReadBundle(_freshBundles[_next++ % _freshBundles.Length], _partner);
        return MetricsRequestReader.ReadMapped(request.DeliveredMetrics()).MetricCount;
    }

    /// <summary>The parse as the app does it: Firely without its validator, then FhirModelChecks' walk.</summary>
    [Benchmark]
    public object? FhirParseOnly() => FhirResourceReader.Read(_fhirBundle).Resource;

    /// <summary>The parse with Firely's validator, as the app did before (and still does for bodies the walk does not vouch for).</summary>
    [Benchmark]
    public object? FhirParseStrict() => FhirResourceReader.ReadStrict(_fhirBundle).Resource;

    private static readonly Hl7.Fhir.Serialization.FhirJsonDeserializer Unvalidated = new(new Hl7.Fhir.Serialization.DeserializerSettings { Validator = null });

    /// <summary>
    /// Firely's parse without its per-element validator (DeserializerSettings.Validator = null) and without the walk
    /// that stands in for it: what the walk costs is FhirParseOnly minus this.
    /// </summary>
    [Benchmark]
    public object? FhirParseWithoutValidator()
    {
        var reader = new System.Text.Json.Utf8JsonReader(_fhirBundle);
        Unvalidated.TryDeserializeResource(ref reader, out var resource, out _);
        return resource;
    }

    /// <summary>Parse and map, without ReadMapped: what ReadMapped costs is FhirBundle minus this.</summary>
    [Benchmark]
    public int FhirParseAndMap() => FhirBundleReader.ReadBundle(_fhirBundle, _partner).Delivered;
}
