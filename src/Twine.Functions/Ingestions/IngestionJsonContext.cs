using System.Text.Json;
using System.Text.Json.Serialization;
using Twine.Functions.Ingestions.Status;

namespace Twine.Functions.Ingestions;

/// <summary>Source-generated serialization for the ingestion documents and stored lists (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcceptedResponse))]
[JsonSerializable(typeof(IngestionStatusResponse))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(List<IngestionError>))]
[JsonSerializable(typeof(List<EntryReport>))]
public sealed partial class IngestionJsonContext : JsonSerializerContext;
