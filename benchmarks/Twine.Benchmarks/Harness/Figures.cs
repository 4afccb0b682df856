using System.Globalization;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// The harnesses' machine-readable output: one <c>key: value</c> line per figure, printed at the end in the order added
/// (the interface tests and docs/PERFORMANCE.md rely on; keep the keys stable). Numbers in invariant culture.
/// </summary>
public sealed class Figures
{
    private readonly List<(string Key, string Value)> _lines = [];

    public void Add(string key, double value, int decimals = 2) =>
        _lines.Add((key, double.IsFinite(value) ? Math.Round(value, decimals).ToString("0.############", CultureInfo.InvariantCulture) : "NaN"));

    public void Add(string key, long value) => _lines.Add((key, value.ToString(CultureInfo.InvariantCulture)));

    public void Print()
    {
        Console.WriteLine();
        foreach (var (key, value) in _lines)
        {
            Console.WriteLine($"{key}: {value}");
        }
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    /// <summary>Named integer options: <c>--name value</c>.</summary>
    public static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
