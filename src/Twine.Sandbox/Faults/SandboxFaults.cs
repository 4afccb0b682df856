namespace Twine.Sandbox;

/// <summary>One pending fault: applies to the next <see cref="Remaining"/> requests on its route.</summary>
public sealed record FaultRule(FaultKind Kind, TimeSpan RetryAfter, TimeSpan Delay)
{
    internal int Remaining { get; set; }

    /// <summary>Requests on the route still let through before this fault starts (e.g. fail only the third page).</summary>
    internal int Skip { get; set; }
}

/// <summary>Per-route fault injection. Routes are "METHOD /spec/path/{id}" without "/pub".</summary>
public sealed class SandboxFaults
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<FaultRule>> _rules = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Makes the next <paramref name="count"/> requests on the route fail as <paramref name="kind"/> says, after letting
    /// <paramref name="after"/> requests through unharmed (0: from the next request on).
    /// </summary>
    public void Add(string method, string route, FaultKind kind, int count = 1, TimeSpan? retryAfter = null, TimeSpan? delay = null, int after = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(route);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var rule = new FaultRule(kind, retryAfter ?? TimeSpan.FromSeconds(1), delay ?? TimeSpan.FromSeconds(1)) { Remaining = count, Skip = after };
        var key = RouteKey.Of(method, route);
        lock (_gate)
        {
            if (!_rules.TryGetValue(key, out var queue))
            {
                _rules[key] = queue = new Queue<FaultRule>();
            }

            queue.Enqueue(rule);
        }
    }

    /// <summary>Removes every pending fault.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    /// <summary>Takes one use of the first pending fault for the route, if any.</summary>
    internal FaultRule? Take(string key)
    {
        lock (_gate)
        {
            if (!_rules.TryGetValue(key, out var queue) || queue.Count == 0)
            {
                return null;
            }

            var rule = queue.Peek();
            if (rule.Skip > 0)
            {
                rule.Skip--;
                return null;
            }

            rule.Remaining--;
            if (rule.Remaining <= 0)
            {
                queue.Dequeue();
            }

            return rule;
        }
    }
}

/// <summary>Normalises "METHOD /route" keys so "/pub/patient/{id}/", "patient/{id}" and "/patient/{id}" agree.</summary>
internal static class RouteKey
{
    public static string Of(string method, string route)
    {
        var path = route.Trim();
        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        if (path.StartsWith("/pub/", StringComparison.OrdinalIgnoreCase))
        {
            path = path[4..];
        }

        if (path.Length > 1)
        {
            path = path.TrimEnd('/');
        }

        return method.Trim().ToUpperInvariant() + " " + path;
    }
}
