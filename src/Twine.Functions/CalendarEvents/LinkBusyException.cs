using Twine.Functions.Ingestions.Failures;












namespace Twine.Functions.CalendarEvents;

/// <summary>
/// The externalId's link row is being changed by another delivery (or another ingestion's create or delete is still
/// running). Transient: the message is rescheduled and runs again once the other writer has finished.
/// </summary>
public sealed class LinkBusyException(string ingestionId, string what)
    : BusyElsewhereException($"Ingestion {ingestionId}: the calendar event link {what}; retrying later.", "the calendar event link is busy with another delivery");
