using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Twine.Client.Serialization;

/// <summary>
/// PATCH bodies carry only what a client may write. A resource fetched from Twine and changed by a caller still holds
/// what Twine wrote (links, relationship links, created_at/updated_at, archived, archive_history, adherence, ...): those
/// are read-only in swagger.yaml and are left out, so an update never sends them back.
/// </summary>
internal static class UpdateDocuments
{
    /// <summary>PatientResource attributes that are not readOnly (archive_history and created_at are server-written too).</summary>
    public static readonly FrozenSet<string> PatientAttributes = FrozenSet.Create(StringComparer.Ordinal,
        "first_name", "last_name", "email_address", "phone_numbers", "addresses", "identifiers", "birth_date", "gender", "note");

    /// <summary>ActionResource attributes without the readOnly static_title and adherence.</summary>
    public static readonly FrozenSet<string> ActionAttributes = FrozenSet.Create(StringComparer.Ordinal,
        "type", "title", "effective_from", "effective_to", "tracking", "_thread", "frequency_goal", "identifiers", "details", "intake",
        "metric_required", "metrics", "windows");

    /// <summary>BundleResource attributes.</summary>
    public static readonly FrozenSet<string> BundleAttributes = FrozenSet.Create(StringComparer.Ordinal,
        "type", "title", "effective_from", "effective_to", "_thread");

    /// <summary>CalendarEventResource attributes a client sets (created_*/updated_* are Twine's).</summary>
    public static readonly FrozenSet<string> CalendarEventAttributes = FrozenSet.Create(StringComparer.Ordinal,
        "type", "title", "time_zone", "all_day", "start_at", "end_at", "location", "description", "attendees", "completed_at", "completed_by");

    /// <summary>
    /// <c>{"data":{type, id, attributes (writable ones only), relationships (their data only)}}</c>; resource links,
    /// relationship links and any other member are dropped.
    /// </summary>
    public static JsonObject For<T>(T resource, JsonTypeInfo<T> typeInfo, FrozenSet<string> writableAttributes)
    {
        var written = JsonSerializer.SerializeToNode(resource, typeInfo) as JsonObject
            ?? throw new ArgumentException("A resource must serialise to a JSON object.", nameof(resource));
        var data = new JsonObject { ["type"] = written["type"]?.DeepClone(), ["id"] = written["id"]?.DeepClone() };

        if (written["attributes"] is JsonObject attributes)
        {
            var kept = new JsonObject();
            foreach (var (name, value) in attributes)
            {
                if (writableAttributes.Contains(name))
                {
                    kept[name] = value?.DeepClone();
                }
            }

            data["attributes"] = kept;
        }

        if (written["relationships"] is JsonObject relationships)
        {
            var kept = new JsonObject();
            foreach (var (name, value) in relationships)
            {
                if (value is JsonObject relationship && relationship.TryGetPropertyValue("data", out var linkage))
                {
                    kept[name] = new JsonObject { ["data"] = linkage?.DeepClone() };
                }
            }

            if (kept.Count > 0)
            {
                data["relationships"] = kept;
            }
        }

        return new JsonObject { ["data"] = data };
    }
}
