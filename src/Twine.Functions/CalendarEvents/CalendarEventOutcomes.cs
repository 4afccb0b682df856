using Twine.Client.Errors;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Failures;

namespace Twine.Functions.CalendarEvents;

/// <summary>The outcomes a calendar-event message records (one event: message 0 of 1; docs/INGESTION-API.md, status counts).</summary>
public static class CalendarEventOutcomes
{
    /// <summary>Calendar ingestions are one message: index 0 of 1.</summary>
    public const int MessageIndex = 0;

    public const string UnknownExternalIdCode = "UnknownExternalId";

    /// <summary>Twine did what the write asked (created, updated, adopted, deleted).</summary>
    public static MessageOutcome Succeeded(string twineId) =>
        new(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 1, 0, 0, [twineId], []);

    /// <summary>Nothing needed doing in Twine (a delete of a deleted event): succeeded, created 0.</summary>
    public static MessageOutcome NothingToDo(string? twineId) =>
        new(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 0, 0, 0, twineId is { } id ? [id] : [], []);

    /// <summary>A newer write for this externalId was applied first: this one is not sent to Twine (not a failure).</summary>
    public static MessageOutcome Superseded() =>
        new(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 0, 0, 0, [], [], null, Superseded: 1);

    public static MessageOutcome Failed(IReadOnlyList<IngestionError> errors, string reason) =>
        new(IngestionKind.CalendarEvent, MessageIndex, 1, 1, 0, 0, 1, [], errors, reason);

    public static MessageOutcome UnknownExternalId(string detail) =>
        Failed([new IngestionError(UnknownExternalIdCode, detail, null, null)], detail);

    /// <summary>Twine's refusal (a permanent 4xx), with its errors and req_id.</summary>
    public static MessageOutcome Rejected(TwineApiException e) => Failed(TwineFailures.Errors(e), TwineFailures.Reason(e));
}
