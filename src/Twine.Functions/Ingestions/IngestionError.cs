using System.Text.Json.Serialization;

namespace Twine.Functions.Ingestions;

/// <summary>
/// One error recorded on an ingestion: Twine's (its JSON:API error fields, kept with Twine's own names and its req_id), or
/// the app's own (codes such as InvalidQueueMessage, PoisonMessage, RetriesExhausted). Not the client's <c>Twine.Client.Errors.TwineError</c>,
/// which is Twine's answer as received.
/// </summary>
public sealed record IngestionError(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("pointer")] string? Pointer,
    [property: JsonPropertyName("req_id")] string? ReqId);
