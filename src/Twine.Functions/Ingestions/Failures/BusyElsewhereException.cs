namespace Twine.Functions.Ingestions.Failures;

/// <summary>
/// Another delivery holds what this message needs (e.g. a calendar event's link row): transient, the message is
/// rescheduled with back-off. Capabilities derive their own conflict types from it, so that the failure classifier
/// needs to know none of them.
/// </summary>
/// <param name="description">What an operator reads about it: no ids, no content.</param>
public abstract class BusyElsewhereException(string message, string description) : Exception(message)
{
    public string Description { get; } = description;
}
