using System.Text.Json;
using System.Text.Json.Serialization;
using Twine.Client.Errors;
using Twine.Client.Models;

namespace Twine.Client.Serialization;

/// <summary>
/// Source-generated JSON metadata for every document the client reads or writes: snake_case names as Twine
/// uses them, nulls omitted when writing (optional attributes are left out, not cleared).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TwineErrorDocument))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(List<ResourceIdentifier>))]
[JsonSerializable(typeof(ResourceIdentifier))]
[JsonSerializable(typeof(DateTimeOffset?))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(TwineRequest<TokenRequestResource>))]
[JsonSerializable(typeof(TwineResponse<TokenResource>))]
[JsonSerializable(typeof(TwineResponse<OrganizationResource>))]
[JsonSerializable(typeof(TwineResponse<GroupResource>))]
[JsonSerializable(typeof(TwinePage<GroupResource>))]
[JsonSerializable(typeof(TwineRequest<GroupResource>))]
[JsonSerializable(typeof(TwineResponse<CoachResource>))]
[JsonSerializable(typeof(TwinePage<CoachResource>))]
[JsonSerializable(typeof(TwineRequest<ActionResource>))]
[JsonSerializable(typeof(TwineResponse<ActionResource>))]
[JsonSerializable(typeof(TwineRequest<BundleResource>))]
[JsonSerializable(typeof(TwineResponse<BundleResource>))]
[JsonSerializable(typeof(TwineRequest<CalendarEventResource>))]
[JsonSerializable(typeof(TwineRequest<CalendarEventUpdateResource>))]
[JsonSerializable(typeof(TwineResponse<CalendarEventResource>))]
[JsonSerializable(typeof(TwinePage<CalendarEventResource>))]
[JsonSerializable(typeof(TwineResponse<EmailHistoryResource>))]
[JsonSerializable(typeof(TwinePage<EmailHistoryResource>))]
[JsonSerializable(typeof(TwineResponse<HealthProfileResource>))]
[JsonSerializable(typeof(TwinePage<HealthProfileResource>))]
[JsonSerializable(typeof(TwineResponse<HealthProfileQuestionResource>))]
[JsonSerializable(typeof(TwineResponse<HealthProfileAnswerResource>))]
[JsonSerializable(typeof(TwinePage<HealthProfileAnswerResource>))]
[JsonSerializable(typeof(TwineResponse<HealthQuestionDefinitionResource>))]
[JsonSerializable(typeof(TwinePage<HealthQuestionDefinitionResource>))]
[JsonSerializable(typeof(TwineRequest<PatientHealthMetricResource>))]
[JsonSerializable(typeof(TwineRequest<List<PatientHealthMetricResource>>))]
[JsonSerializable(typeof(TwineResponse<PatientHealthMetricResource>))]
[JsonSerializable(typeof(TwinePage<PatientHealthMetricResource>))]
[JsonSerializable(typeof(TwineRequest<PatientResource>))]
[JsonSerializable(typeof(TwineResponse<PatientResource>))]
[JsonSerializable(typeof(TwinePage<PatientResource>))]
public sealed partial class TwineJsonContext : JsonSerializerContext;
