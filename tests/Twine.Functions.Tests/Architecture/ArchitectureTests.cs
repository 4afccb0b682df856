using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Tests.Architecture;

/// <summary>
/// The shape of the function app, read from its assembly: the top-level folders are the capabilities, each uses only
/// the folders <see cref="MayUse"/> allows, no folders use each other in a circle (top level and one level down), and
/// function classes only bind a trigger and hand over.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly App = typeof(Program).Assembly;
    private const string Root = "Twine.Functions";

    /// <summary>
    /// The capability folders and which others each may use. Platform uses none of them; Partners (signatures) only
    /// Platform; Ingestions (what every kind of ingestion shares) Platform and Partners; the capabilities build on those
    /// and never on each other, so a new one cannot tangle the ones there are. Fhir is the one facade: it maps FHIR to the
    /// metrics and calendar-event requests and hands them to those routes' own readers; nothing uses Fhir.
    /// </summary>
    private static readonly Dictionary<string, string[]> MayUse = new(StringComparer.Ordinal)
    {
        ["Platform"] = [],
        ["Partners"] = ["Platform"],
        ["Ingestions"] = ["Partners", "Platform"],
        ["Metrics"] = ["Ingestions", "Partners", "Platform"],
        ["CalendarEvents"] = ["Ingestions", "Partners", "Platform"],
        ["EmailHistory"] = ["Platform"],
        ["Fhir"] = ["Metrics", "CalendarEvents", "Ingestions", "Partners", "Platform"], // a facade: FHIR in, the metrics and calendar routes' own readers
    };

    private static string? Folder(Type type) => Folder(type, depth: 1);

    /// <summary>The folder (namespace under Twine.Functions) a type belongs to, <paramref name="depth"/> levels deep; null for the root.</summary>
    private static string? Folder(Type type, int depth)
    {
        var ns = AssemblyDependencies.Owner(type).Namespace;
        if (ns is null || !ns.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null; // the composition root (Program, FunctionsAppSetup) and other assemblies
        }

        return string.Join('.', ns[(Root.Length + 1)..].Split('.').Take(depth));
    }

    /// <summary>folder → the folders its types use (folders <paramref name="depth"/> levels deep).</summary>
    private static Dictionary<string, SortedSet<string>> FolderGraph(int depth = 1)
    {
        var graph = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var type in App.GetTypes())
        {
            if (Folder(type, depth) is not { } from)
            {
                continue;
            }

            var edges = graph.TryGetValue(from, out var existing) ? existing : graph[from] = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var used in AssemblyDependencies.UsedBy(type))
            {
                if (used.Assembly == App && Folder(used, depth) is { } to && to != from)
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

    private static string Edges(Dictionary<string, SortedSet<string>> graph) =>
        string.Join("\n", graph.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} -> {string.Join(", ", g.Value)}"));

    [Fact]
    public void The_app_is_the_capability_folders_and_nothing_else()
    {
        var folders = App.GetTypes().Select(t => Folder(t)).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(MayUse.Keys.Order(StringComparer.Ordinal), folders);
    }

    [Fact]
    public void Each_capability_folder_uses_only_the_folders_it_may()
    {
        var graph = FolderGraph();
        var wrong = graph.SelectMany(g => g.Value.Where(to => !MayUse[g.Key].Contains(to)).Select(to => $"{g.Key} -> {to}")).ToList();
        Assert.True(wrong.Count == 0, $"Not allowed:\n{string.Join("\n", wrong)}\n\nFolder dependencies:\n{Edges(graph)}");
    }

    /// <summary>
    /// No cycle between folders: between the capabilities, and between Platform's parts (Storage, Secrets, Http, Health,
    /// Polling, Hosting), which are separate services. A capability's own subfolders (Ingestions' Queues, Retries, …)
    /// are parts of one thing and may use each other.
    /// </summary>
    [Theory]
    [InlineData(1, "")]
    [InlineData(2, "Platform.")]
    public void No_cycle_between_folders(int depth, string under)
    {
        var graph = FolderGraph(depth)
            .Where(g => g.Key.StartsWith(under, StringComparison.Ordinal))
            .ToDictionary(g => g.Key, g => new SortedSet<string>(g.Value.Where(to => to.StartsWith(under, StringComparison.Ordinal)), StringComparer.Ordinal));
        var cycles = Cycles(graph);
        Assert.True(cycles.Count == 0, $"Folder cycles:\n{string.Join("\n", cycles)}\n\nFolder dependencies:\n{Edges(graph)}");
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
