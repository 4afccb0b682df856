using System.Text.Json;
using Twine.Client.Models;
using Twine.Client.Serialization;
using Twine.Functions.Ingestions.Failures;

namespace Twine.Functions.CalendarEvents;

/// <summary>The Twine documents a calendar write sends: the create body (the message's resource) and the replacing PATCH body.</summary>
public static class CalendarEventDocuments
{
    /// <summary>The message's calendar_event as Twine's create body; null when it cannot be read or written as Twine's JSON.</summary>
    public static CalendarEventResource? ToResource(JsonElement data)
    {
        try
        {
            if (data.Deserialize(TwineJsonContext.Default.CalendarEventResource) is not { Attributes: not null } resource)
            {
                return null;
            }

            _ = JsonSerializer.SerializeToUtf8Bytes(resource, TwineJsonContext.Default.CalendarEventResource);
            return resource;
        }
        catch (Exception e) when (ProcessingFailureClassifier.Classify(e) == FailureClass.Permanent)
        {
            return null;
        }
    }

    /// <summary>
    /// The PATCH body of a PUT: the partner's document is the whole event now, so every attribute it defines is sent and
    /// every optional one it left out is cleared the way Twine clears it (<see cref="CalendarEventUpdateAttributes.ReplaceWith"/>;
    /// docs/SANDBOX.md, "clearing").
    /// </summary>
    public static CalendarEventUpdateResource ToReplace(CalendarEventResource resource, string twineId) =>
        new() { Id = twineId, Attributes = CalendarEventUpdateAttributes.ReplaceWith(resource.Attributes!), Relationships = resource.Relationships };
}
