using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Twine.Functions.Tests.Hostile;

/// <summary>
/// What the corpus run saw: a line per file, then counts per endpoint, per category and per status. Written at the end
/// of the run to hostile-inputs-summary.md in the test output folder (the table under "Inputs tried" in docs/RELIABILITY.md).
/// </summary>
public sealed class HostileSummary
{
    public const string FileName = "hostile-inputs-summary.md";

    private readonly ConcurrentDictionary<string, Outcome> _outcomes = new(StringComparer.Ordinal);

    public sealed record Outcome(string Endpoint, string Category, string Expect, string Got, bool Passed, string? Failure);

    public void Add(string file, Outcome outcome) => _outcomes[file] = outcome;

    public string Render()
    {
        var all = _outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        var passed = all.Count(o => o.Value.Passed);
        text.AppendLine(CultureInfo.InvariantCulture, $"{all.Count} request files, {passed} passed, {all.Count - passed} failed.");
        text.AppendLine();

        text.AppendLine("| endpoint | files | " + string.Join(" | ", Statuses(all)) + " | passed |");
        text.AppendLine("|---|---:|" + string.Concat(Statuses(all).Select(_ => "---:|")) + "---:|");
        foreach (var group in all.GroupBy(o => o.Value.Endpoint).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| `{group.Key}` | {group.Count()} | {string.Join(" | ", Statuses(all).Select(s => Count(group, s)))} | {group.Count(o => o.Value.Passed)} |");
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"| all | {all.Count} | {string.Join(" | ", Statuses(all).Select(s => Count(all, s)))} | {passed} |");
        text.AppendLine();

        text.AppendLine("| category | files | statuses | passed |");
        text.AppendLine("|---|---:|---|---:|");
        foreach (var group in all.GroupBy(o => o.Value.Category).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var statuses = string.Join(", ", group.GroupBy(o => o.Value.Got).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {group.Count()} | {statuses} | {group.Count(o => o.Value.Passed)} |");
        }

        var failures = all.Where(o => !o.Value.Passed).ToList();
        if (failures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Failures:");
            text.AppendLine();
            foreach (var (file, outcome) in failures)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- `{file}`: expected {outcome.Expect}, got {outcome.Got}: {outcome.Failure}");
            }
        }

        return text.ToString();
    }

    public void Write()
    {
        if (!_outcomes.IsEmpty)
        {
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, FileName), Render());
        }
    }

    private static List<string> Statuses(IEnumerable<KeyValuePair<string, Outcome>> all) =>
        [.. all.Select(o => o.Value.Got).Distinct().Order(StringComparer.Ordinal)];

    private static int Count(IEnumerable<KeyValuePair<string, Outcome>> outcomes, string status) => outcomes.Count(o => o.Value.Got == status);
}
