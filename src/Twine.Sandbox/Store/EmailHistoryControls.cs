using System.Text.Json.Nodes;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Store;

/// <summary>
/// Test controls for email_history, which the API only reads (Twine writes it when it sends and as statuses arrive):
/// tests add emails, move their statuses on, and seed large backlogs.
/// </summary>
internal static class EmailHistoryControls
{
    private const string Type = "email_history";

    /// <summary>The status names of the spec's status_times.</summary>
    public static readonly string[] Statuses = ["processed", "dropped", "deferred", "bounce", "open", "spamreport", "unsubscribe", "click", "delivered"];

    public static string Add(ResourceStore store, string now, string senderId, string receiverId, DateTimeOffset sendTime, string emailType,
        IReadOnlyDictionary<string, DateTimeOffset>? statusTimes)
    {
        if (!store.Exists("coach", senderId))
        {
            throw new ArgumentException($"No coach {senderId} in the sandbox.", nameof(senderId));
        }

        if (!store.Exists("patient", receiverId))
        {
            throw new ArgumentException($"No patient {receiverId} in the sandbox.", nameof(receiverId));
        }

        var resource = Build(ResourceStore.NewId(), now, senderId, receiverId, sendTime, emailType, statusTimes);
        store.Add(resource);
        return (string)resource["id"]!;
    }

    /// <summary>Adds <paramref name="count"/> emails, the newest at <paramref name="newest"/>, one every <paramref name="interval"/> before it, receivers in turn.</summary>
    public static IReadOnlyList<string> AddMany(ResourceStore store, string now, int count, string senderId, IReadOnlyList<string> receiverIds,
        DateTimeOffset newest, TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (receiverIds.Count == 0)
        {
            throw new ArgumentException("At least one receiver is needed.", nameof(receiverIds));
        }

        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var sent = newest - (interval * i);
            var statuses = new Dictionary<string, DateTimeOffset> { ["processed"] = sent.AddSeconds(1), ["delivered"] = sent.AddSeconds(2) };
            ids.Add(Add(store, now, senderId, receiverIds[i % receiverIds.Count], sent, i % 2 == 0 ? "reminder" : "invite", statuses));
        }

        return ids;
    }

    /// <summary>Sets one status time (as a later webhook from the mail provider would); updated_at becomes now.</summary>
    public static void SetStatus(ResourceStore store, string now, string emailHistoryId, string status, DateTimeOffset at)
    {
        if (!Statuses.Contains(status, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Unknown status {status}; one of {string.Join(", ", Statuses)}.", nameof(status));
        }

        _ = store.Update(Type, emailHistoryId, resource =>
            {
                var attributes = resource["attributes"]!.AsObject();
                if (attributes["status_times"] is not JsonObject times)
                {
                    attributes["status_times"] = times = new JsonObject();
                }

                times[status] = Dates.Format(at);
                attributes["updated_at"] = now;
                return resource;
            }) ?? throw new ArgumentException($"No email history {emailHistoryId}.", nameof(emailHistoryId));
    }

    private static JsonObject Build(string id, string now, string senderId, string receiverId, DateTimeOffset sendTime, string emailType,
        IReadOnlyDictionary<string, DateTimeOffset>? statusTimes)
    {
        var times = new JsonObject();
        foreach (var (status, at) in statusTimes ?? new Dictionary<string, DateTimeOffset>())
        {
            if (!Statuses.Contains(status, StringComparer.Ordinal))
            {
                throw new ArgumentException($"Unknown status {status}.", nameof(statusTimes));
            }

            times[status] = Dates.Format(at);
        }

        return new JsonObject
        {
            ["type"] = Type,
            ["id"] = id,
            ["attributes"] = new JsonObject
            {
                ["twine_email_id"] = Guid.NewGuid().ToString(),
                ["email_address"] = $"sandbox-{id}@example.com",
                ["email_type"] = emailType,
                ["send_time"] = Dates.Format(sendTime),
                ["status_times"] = times,
                ["created_at"] = now,
                ["updated_at"] = now,
            },
            ["relationships"] = new JsonObject
            {
                ["sender"] = new JsonObject { ["data"] = Documents.Identifier("coach", senderId) },
                ["receiver"] = new JsonObject { ["data"] = Documents.Identifier("patient", receiverId) },
            },
        };
    }
}
