using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Twine.Functions.Platform.Http;

/// <summary>Source-generated serialization for problem details (camelCase, nulls omitted): the same options as the app's other documents.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(ProblemError[]))] // ProblemDetails.Extensions["errors"]
[JsonSerializable(typeof(string))] // ProblemDetails.Extensions["ingestionId"]
public sealed partial class HttpJsonContext : JsonSerializerContext;
