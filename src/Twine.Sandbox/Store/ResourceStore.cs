using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Twine.Sandbox.Store;

/// <summary>
/// In-memory resources kept as JSON:API resource objects ({type,id,attributes,relationships}).
/// One lock guards everything: request volumes are tiny and it keeps multi-resource writes
/// (bulk metric create) atomic. Callers get clones, never the stored nodes.
/// </summary>
internal sealed class ResourceStore
{
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _byType = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _order = new(StringComparer.Ordinal);

    public Lock Gate { get; } = new();

    /// <summary>24 lowercase hex characters, like the spec's ids.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public void Load(IEnumerable<JsonObject> resources)
    {
        lock (Gate)
        {
            _byType.Clear();
            _order.Clear();
            foreach (var resource in resources)
            {
                AddLocked(resource);
            }
        }
    }

    public JsonObject? Get(string type, string id)
    {
        lock (Gate)
        {
            return GetLocked(type, id)?.DeepClone().AsObject();
        }
    }

    public bool Exists(string type, string id)
    {
        lock (Gate)
        {
            return GetLocked(type, id) is not null;
        }
    }

    /// <summary>All resources of a type, in insertion order (the natural order for paging).</summary>
    public List<JsonObject> All(string type)
    {
        lock (Gate)
        {
            return AllLocked(type).Select(r => r.DeepClone().AsObject()).ToList();
        }
    }

    public void Add(JsonObject resource)
    {
        lock (Gate)
        {
            AddLocked(resource);
        }
    }

    public bool Remove(string type, string id)
    {
        lock (Gate)
        {
            if (_byType.TryGetValue(type, out var items) && items.Remove(id))
            {
                _order[type].Remove(id);
                return true;
            }

            return false;
        }
    }

    // The *Locked members are for callers that hold Gate across a read-check-write.
    public JsonObject? GetLocked(string type, string id) =>
        _byType.TryGetValue(type, out var items) && items.TryGetValue(id, out var resource) ? resource : null;

    public IEnumerable<JsonObject> AllLocked(string type) =>
        _order.TryGetValue(type, out var ids) ? ids.Select(id => _byType[type][id]) : [];

    public void AddLocked(JsonObject resource)
    {
        var type = (string?)resource["type"] ?? throw new InvalidOperationException("resource without type");
        var id = (string?)resource["id"] ?? throw new InvalidOperationException("resource without id");
        if (!_byType.TryGetValue(type, out var items))
        {
            _byType[type] = items = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            _order[type] = [];
        }

        if (!items.ContainsKey(id))
        {
            _order[type].Add(id);
        }

        items[id] = resource;
    }
}
