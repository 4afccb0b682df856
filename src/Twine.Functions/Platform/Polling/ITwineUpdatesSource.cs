namespace Twine.Functions.Platform.Polling;

/// <summary>
/// What a capability reads from Twine on the PollTwineUpdates timer: its streams (each with its own checkpoint), in the
/// order a run takes them. Registered by the capability; <see cref="TwineUpdatesPoller"/> runs every registered source
/// in registration order within one time budget.
/// </summary>
public interface ITwineUpdatesSource
{
    /// <summary>The streams to poll now (e.g. one per sender, discovered from Twine); may be empty.</summary>
    Task<IReadOnlyList<string>> GetStreamsAsync(CancellationToken cancellationToken);

    /// <summary>Reads one of <see cref="Streams"/> from its checkpoint until caught up, the budget is spent or Twine stops answering.</summary>
    Task<StreamResult> PollAsync(string stream, PollBudget budget, CancellationToken cancellationToken);
}
