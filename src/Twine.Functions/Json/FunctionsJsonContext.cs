using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Twine.Functions.Http;
using Twine.Functions.Ingestion;
using Twine.Functions.Ingestion.Status;

namespace Twine.Functions.Json;

/// <summary>Source-generated serialization for the app's own documents (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(ProblemError[]))] // ProblemDetails.Extensions["errors"]
[JsonSerializable(typeof(string))] // ProblemDetails.Extensions["ingestionId"]
[JsonSerializable(typeof(AcceptedResponse))]
[JsonSerializable(typeof(IngestionStatusResponse))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(List<IngestionError>))]
public sealed partial class FunctionsJsonContext : JsonSerializerContext;
