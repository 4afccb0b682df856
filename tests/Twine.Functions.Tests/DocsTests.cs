using System.Text.RegularExpressions;

namespace Twine.Functions.Tests;

/// <summary>The README's layout names every page under docs/, one line each, so a new page is findable from the README.</summary>
public sealed partial class DocsTests
{
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

    [GeneratedRegex(@"^## Layout\s*\n+```\n(?<block>.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Layout();

    /// <summary>An indented line under docs/: the page's file name, then what it holds.</summary>
    [GeneratedRegex(@"^  (?<page>[A-Z0-9-]+\.md) +\S", RegexOptions.Multiline)]
    private static partial Regex DocLine();
}
