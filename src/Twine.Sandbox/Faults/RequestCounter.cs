using System.Collections.Concurrent;

namespace Twine.Sandbox.Faults;

/// <summary>Counts requests per "METHOD /route" (faulted ones included).</summary>
internal sealed class RequestCounter
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.OrdinalIgnoreCase);

    public void Increment(string key) => _counts.AddOrUpdate(key, 1, (_, n) => n + 1);

    public int Get(string key) => _counts.TryGetValue(key, out var n) ? n : 0;

    public IReadOnlyDictionary<string, int> Snapshot() =>
        new SortedDictionary<string, int>(_counts, StringComparer.Ordinal);

    public void Clear() => _counts.Clear();
}
