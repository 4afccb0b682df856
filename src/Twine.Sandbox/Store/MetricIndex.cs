using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Store;

/// <summary>
/// The metric uniqueness rule as an index: patient + type + occurred_at instant (DateTimeOffset equality and hash are
/// offset-independent) → the stored metric's id. Metrics are only ever created through the API (no update or delete),
/// so the index only grows between resets. Check-then-add runs under the organization's gate (the patient's).
/// </summary>
internal sealed class MetricIndex
{
    private ConcurrentDictionary<(string Patient, string Type, DateTimeOffset At), string> _ids = new();

    public void Rebuild(ResourceStore store)
    {
        var ids = new ConcurrentDictionary<(string Patient, string Type, DateTimeOffset At), string>();
        foreach (var metric in store.Snapshot("patient_health_metric"))
        {
            if (KeyOf(metric) is { } key)
            {
                ids.TryAdd(key, (string)metric["id"]!);
            }
        }

        Volatile.Write(ref _ids, ids);
    }

    public string? Find(string patient, string type, DateTimeOffset occurredAt) =>
        Volatile.Read(ref _ids).GetValueOrDefault((patient, type, occurredAt));

    public void Add(JsonObject metric)
    {
        if (KeyOf(metric) is { } key)
        {
            Volatile.Read(ref _ids).TryAdd(key, (string)metric["id"]!);
        }
    }

    private static (string, string, DateTimeOffset)? KeyOf(JsonObject metric) =>
        Documents.RelatedId(metric, "patient") is { } patient && Documents.Attr(metric, "type") is { } type
            && Dates.Read(metric["attributes"]?["occurred_at"]) is { } at
            ? (patient, type, at)
            : null;
}
