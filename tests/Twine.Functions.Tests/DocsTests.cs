using System.Text.RegularExpressions;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests;

/// <summary>Docs that state what the code does, checked against the code so they cannot drift.</summary>
public sealed partial class DocsTests
{
    /// <summary>The README's layout names every page under docs/, one line each, so a new page is findable from the README.</summary>
    [Fact]
    public void The_README_layout_lists_every_docs_page()
    {
        var readme = File.ReadAllText(RepoPaths.InRepo("README.md"));
        var layout = Layout().Match(readme);
        Assert.True(layout.Success, "README.md has no ## Layout code block");
        var listed = DocLine().Matches(layout.Groups["block"].Value).Select(m => m.Groups["page"].Value).Order(StringComparer.Ordinal).ToList();
        var pages = Directory.GetFiles(RepoPaths.InRepo("docs"), "*.md").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(pages, listed);
    }

    [Fact]
    public void The_documented_metric_types_are_the_ones_the_edge_accepts()
    {
        var api = File.ReadAllText(RepoPaths.InRepo("docs", "INGESTION-API.md"));
        var section = Section().Match(api);
        Assert.True(section.Success, "docs/INGESTION-API.md has no '## Metric types' section");
        var documented = ListItem().Matches(section.Groups["body"].Value).Select(m => m.Groups["type"].Value).ToList();

        Assert.Equal(documented.Count, documented.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(MetricResourceValidator.MetricTypes.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
        Assert.Contains($"one of these {MetricResourceValidator.MetricTypes.Count} values", section.Groups["body"].Value, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^## Metric types\n(?<body>.*?)(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Section();

    [GeneratedRegex(@"^- `(?<type>[a-z0-9_]+)`\s*$", RegexOptions.Multiline)]
    private static partial Regex ListItem();

    [GeneratedRegex(@"^## Layout\s*\n+```\n(?<block>.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Layout();

    /// <summary>An indented line under docs/: the page's file name, then what it holds.</summary>
    [GeneratedRegex(@"^  (?<page>[A-Z0-9-]+\.md) +\S", RegexOptions.Multiline)]
    private static partial Regex DocLine();
}
