using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Store;

/// <summary>
/// In-memory resources kept as JSON:API resource objects ({type,id,attributes,relationships}), one collection per type.
/// There is no store-wide lock: each collection has its own lock, held only to look up, insert, replace or remove
/// (never while a handler validates or waits), so requests on different collections never wait for each other and
/// requests on one collection wait only for those few instructions.
/// <para>
/// A stored node is never changed after it is stored: writers store a new node (<see cref="Update"/> compares the
/// node it started from, so concurrent updates of one resource never lose a write), and every stored node is fully
/// materialised first, so reading it from several threads at once is safe. <see cref="Peek"/> and
/// <see cref="Snapshot"/> hand out those shared nodes for reading only; <see cref="Get"/> and <see cref="All"/> hand
/// out copies a caller may change.
/// </para>
/// Rules that span resources (identifier uniqueness, duplicate metrics) are kept by the callers under a lock per
/// organization (<see cref="Hosting.SandboxState.OrganizationGate"/>), like a unique index in a real database.
/// </summary>
internal sealed class ResourceStore
{
    private sealed class Collection
    {
        public Lock Gate { get; } = new();

        /// <summary>Insertion order is the natural order for paging; replacing a resource keeps its place.</summary>
        public OrderedDictionary<string, JsonObject> Items { get; } = new(StringComparer.Ordinal);
    }

    private ConcurrentDictionary<string, Collection> _collections = new(StringComparer.Ordinal);

    /// <summary>24 lowercase hex characters, like the spec's ids.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>Replaces everything (seed data, Reset). Not meant to race with requests.</summary>
    public void Load(IEnumerable<JsonObject> resources)
    {
        var collections = new ConcurrentDictionary<string, Collection>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            var (type, id) = Key(resource);
            Materialize(resource);
            collections.GetOrAdd(type, _ => new Collection()).Items[id] = resource;
        }

        Volatile.Write(ref _collections, collections);
    }

    /// <summary>The stored node, shared: read it, never change it. Null when unknown.</summary>
    public JsonObject? Peek(string type, string id)
    {
        if (!Volatile.Read(ref _collections).TryGetValue(type, out var collection))
        {
            return null;
        }

        lock (collection.Gate)
        {
            return collection.Items.GetValueOrDefault(id);
        }
    }

    /// <summary>A copy of the stored resource (the caller may change it), or null.</summary>
    public JsonObject? Get(string type, string id) => Peek(type, id)?.DeepClone().AsObject();

    public bool Exists(string type, string id) => Peek(type, id) is not null;

    /// <summary>The stored nodes of a type in insertion order, as they were at one instant; shared: read them, never change them.</summary>
    public IReadOnlyList<JsonObject> Snapshot(string type)
    {
        if (!Volatile.Read(ref _collections).TryGetValue(type, out var collection))
        {
            return [];
        }

        lock (collection.Gate)
        {
            return [.. collection.Items.Values];
        }
    }

    /// <summary>Copies of all resources of a type, in insertion order (the natural order for paging).</summary>
    public List<JsonObject> All(string type) => Snapshot(type).Select(r => r.DeepClone().AsObject()).ToList();

    /// <summary>Stores a new resource. Its id must be new (ids are 96 random bits; a clash is a bug, not bad luck).</summary>
    public void Add(JsonObject resource) => AddRange([resource]);

    /// <summary>Stores new resources of one type at once: a reader of the collection sees all of them or none.</summary>
    public void AddRange(IReadOnlyList<JsonObject> resources)
    {
        if (resources.Count == 0)
        {
            return;
        }

        var type = Key(resources[0]).Type;
        foreach (var resource in resources)
        {
            if (Key(resource).Type != type)
            {
                throw new InvalidOperationException("AddRange takes resources of one type");
            }

            Materialize(resource);
        }

        var collection = Volatile.Read(ref _collections).GetOrAdd(type, _ => new Collection());
        lock (collection.Gate)
        {
            foreach (var resource in resources)
            {
                if (collection.Items.ContainsKey(Key(resource).Id))
                {
                    throw new InvalidOperationException($"{type} {Key(resource).Id} already exists");
                }
            }

            foreach (var resource in resources)
            {
                collection.Items.Add(Key(resource).Id, resource);
            }
        }
    }

    /// <summary>
    /// Read-modify-write of one resource without holding a lock while <paramref name="change"/> runs:
    /// <paramref name="change"/> gets a copy of the stored resource and returns the resource to store; if another
    /// request replaced the resource meanwhile, it runs again on the newer one (so no write is lost). Null when the
    /// resource does not exist (any more). Exceptions from <paramref name="change"/> leave the resource as it was.
    /// </summary>
    public JsonObject? Update(string type, string id, Func<JsonObject, JsonObject> change)
    {
        while (true)
        {
            var current = Peek(type, id);
            if (current is null)
            {
                return null;
            }

            var next = change(current.DeepClone().AsObject());
            if (Key(next) != (type, id))
            {
                throw new InvalidOperationException("an update cannot change a resource's type or id");
            }

            Materialize(next);
            var collection = Volatile.Read(ref _collections)[type];
            lock (collection.Gate)
            {
                if (!collection.Items.TryGetValue(id, out var stored))
                {
                    return null;
                }

                if (ReferenceEquals(stored, current))
                {
                    collection.Items[id] = next;
                    return next;
                }
            }
        }
    }

    /// <summary>Replaces a stored resource unconditionally (callers that hold the resource's organization gate).</summary>
    public void Replace(JsonObject resource)
    {
        var (type, id) = Key(resource);
        Materialize(resource);
        var collection = Volatile.Read(ref _collections).GetOrAdd(type, _ => new Collection());
        lock (collection.Gate)
        {
            if (!collection.Items.ContainsKey(id))
            {
                throw new InvalidOperationException($"{type} {id} does not exist");
            }

            collection.Items[id] = resource;
        }
    }

    public bool Remove(string type, string id)
    {
        if (!Volatile.Read(ref _collections).TryGetValue(type, out var collection))
        {
            return false;
        }

        lock (collection.Gate)
        {
            return collection.Items.Remove(id);
        }
    }

    private static (string Type, string Id) Key(JsonObject resource) =>
        ((string?)resource["type"] ?? throw new InvalidOperationException("resource without type"),
         (string?)resource["id"] ?? throw new InvalidOperationException("resource without id"));

    /// <summary>
    /// A node parsed from JSON fills its members in lazily, on first read; reading a shared node from several
    /// threads must not be its first read. Walking it once fills everything in.
    /// </summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    Materialize(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Materialize(item);
                }

                break;
        }
    }
}
