using System.Text.RegularExpressions;
using Twine.Functions.Fhir;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Fhir;

/// <summary>docs/FHIR.md's mapping table is the code's, row for row, and the README lists the page.</summary>
public sealed partial class FhirDocsTests
{
    [Fact]
    public void The_documented_mapping_table_is_FhirCodeMap_row_for_row()
    {
        var doc = File.ReadAllText(RepoPaths.InRepo("docs", "FHIR.md"));
        var documented = TableRow().Matches(doc)
            .Select(m => (System: m.Groups["system"].Value == "LOINC" ? FhirSystems.Loinc : FhirSystems.Mdc, m.Groups["code"].Value, m.Groups["type"].Value, m.Groups["sent"].Value))
            .ToList();
        var expected = FhirCodeMap.Rows.Select(r => (r.System, r.Code, r.MetricType, r.Loinc.Length > 0 ? r.Loinc : r.Code)).ToList();

        Assert.Equal(expected, documented);
    }

    [Fact]
    public void The_types_documented_as_unmapped_are_the_ones_without_a_row()
    {
        var doc = File.ReadAllText(RepoPaths.InRepo("docs", "FHIR.md"));
        var unmapped = MetricResourceValidator.MetricTypes.Except(FhirCodeMap.Rows.Select(r => r.MetricType)).Order(StringComparer.Ordinal).ToList();
        var line = Regex.Match(doc, "^Twine types without a row: (?<list>.*?)$", RegexOptions.Multiline).Groups["list"].Value;
        Assert.Equal(unmapped, Regex.Matches(line, "`([a-z0-9_]+)`").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"^\| (?<system>LOINC|MDC) \| `(?<code>[^`]+)` \| [^|]+ \| `(?<type>[a-z0-9_]+)` \| (LOINC|MDC) `(?<sent>[^`]+)` \|$", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
