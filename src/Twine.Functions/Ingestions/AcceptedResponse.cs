namespace Twine.Functions.Ingestions;

/// <summary>The 202 body: where to ask what happened.</summary>
public sealed record AcceptedResponse(string IngestionId, string StatusUrl);
