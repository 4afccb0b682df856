using System.Text.Json.Serialization;

namespace Twine.Functions.Ingestion;

/// <summary>One error as Twine reported it (JSON:API error object fields), kept with Twine's own names.</summary>
public sealed record TwineError(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("pointer")] string? Pointer,
    [property: JsonPropertyName("req_id")] string? ReqId);
