using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Tests.Architecture;

/// <summary>
/// The shape of the function app, read from its assembly: which top-level folders (namespaces under Twine.Functions)
/// use which, and that function classes only bind a trigger and hand over. The dependency rule ratchets: a cycle between
/// folders that is not in <see cref="KnownCycles"/> fails, and so does a listed one that is gone (remove it from the
/// list, so it cannot come back).
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly App = typeof(Program).Assembly;
    private const string Root = "Twine.Functions";

    /// <summary>Cycles between folders that exist today (each a strongly connected group, folders sorted, joined by " ~ ").</summary>
    /// <remarks>
    /// Empty since the queue contract moved under Ingestion (its parser runs the ingestion validators) and the one JSON
    /// context was split into Http's (problem details) and Ingestion's: those made Http, Ingestion, Json, Queues and
    /// Webhooks one cycle. Keep it empty.
    /// </remarks>
    private static readonly string[] KnownCycles = [];

    private static string? Folder(Type type)
    {
        var ns = AssemblyDependencies.Owner(type).Namespace;
        if (ns is null || !ns.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null; // the composition root (Program) and other assemblies
        }

        return ns[(Root.Length + 1)..].Split('.')[0];
    }

    /// <summary>folder → the folders its types use.</summary>
    private static Dictionary<string, SortedSet<string>> FolderGraph()
    {
        var graph = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var type in App.GetTypes())
        {
            if (Folder(type) is not { } from)
            {
                continue;
            }

            var edges = graph.TryGetValue(from, out var existing) ? existing : graph[from] = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var used in AssemblyDependencies.UsedBy(type))
            {
                if (used.Assembly == App && Folder(used) is { } to && to != from)
                {
                    edges.Add(to);
                }
            }
        }

        return graph;
    }

    /// <summary>Strongly connected groups of more than one folder (Tarjan), each as "A ~ B ~ C".</summary>
    private static List<string> Cycles(Dictionary<string, SortedSet<string>> graph)
    {
        var index = 0;
        var indices = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var groups = new List<string>();

        void Visit(string node)
        {
            indices[node] = low[node] = index++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in graph.GetValueOrDefault(node) ?? [])
            {
                if (!indices.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], indices[next]);
                }
            }

            if (low[node] == indices[node])
            {
                var group = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    group.Add(member);
                }
                while (member != node);

                if (group.Count > 1)
                {
                    groups.Add(string.Join(" ~ ", group.Order(StringComparer.Ordinal)));
                }
            }
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (!indices.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return [.. groups.Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void No_folder_cycle_other_than_the_known_ones_and_none_of_those_gone()
    {
        var graph = FolderGraph();
        var cycles = Cycles(graph);
        var edges = string.Join("\n", graph.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} -> {string.Join(", ", g.Value)}"));

        Assert.True(cycles.SequenceEqual(KnownCycles), $"Folder cycles now:\n{string.Join("\n", cycles)}\n\nFolder dependencies:\n{edges}");
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle_and_leaves_a_chain_alone()
    {
        var graph = new Dictionary<string, SortedSet<string>>
        {
            ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"], ["E"] = [],
        };

        Assert.Equal(["A ~ B ~ C"], Cycles(graph));
        Assert.Empty(Cycles(new Dictionary<string, SortedSet<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = [] }));
    }

    public static TheoryData<Type> FunctionClasses() =>
        new(App.GetTypes().Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null)).OrderBy(t => t.FullName));

    /// <summary>
    /// A function class binds a trigger and hands over: its only methods are [Function] methods, each a short call (the
    /// IL of reading the binding and one call), and it keeps nothing but what its constructor was given.
    /// </summary>
    [Theory]
    [MemberData(nameof(FunctionClasses))]
    public void A_function_class_only_binds_and_delegates(Type type)
    {
        const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var methods = type.GetMethods(declared).Where(m => m.GetCustomAttribute<CompilerGeneratedAttribute>() is null).ToList();

        Assert.All(methods, m => Assert.True(m.GetCustomAttribute<FunctionAttribute>() is not null, $"{type.Name}.{m.Name} is not a [Function] method"));
        Assert.All(type.GetFields(declared), f => Assert.True(f.Name.StartsWith('<'), $"{type.Name} has its own field {f.Name}"));
        Assert.DoesNotContain(type.GetNestedTypes(declared), n => n.GetCustomAttribute<CompilerGeneratedAttribute>() is null);
        foreach (var method in methods)
        {
            var size = method.GetMethodBody()!.GetILAsByteArray()!.Length;
            // Reading a few bindings (route values, query strings) and one call: about 100 bytes at most.
            Assert.True(size <= 128, $"{type.Name}.{method.Name} has {size} bytes of IL: more than binding and one call");
        }
    }
}
