using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>patient_health_metric: list and (bulk) create with meta.ignore_duplicates.</summary>
internal static class MetricEndpoints
{
    /// <summary>PatientHealthMetricResource.attributes.type enum.</summary>
    public static readonly string[] Types =
    [
        "blood_pressure_systolic", "blood_pressure_diastolic", "hemoglobin_a1c", "hdl_cholesterol", "ldl_cholesterol",
        "total_cholesterol", "triglycerides", "blood_urea_nitrogen", "creatinine", "hemoglobin", "hematocrit",
        "total_serum_iron", "thyroid_stimulating_hormone", "free_thyroxine", "free_triiodothyronine", "total_triiodothyronine",
        "cd4_cell_count", "hiv_viral_load", "inr", "free_testosterone", "total_testosterone", "c_reactive_protein",
        "prostate_specific_antigen", "cotinine", "c_peptide", "blood_pressure", "blood_glucose", "weight", "heart_rate",
        "body_fat_percentage", "body_mass_index", "body_temperature", "forced_expiratory_volume1", "forced_vital_capacity",
        "lean_body_mass", "nausea_level", "oxygen_saturation", "pain_level", "peak_expiratory_flow_rate",
        "peripheral_perfusion_index", "respiratory_rate", "inhaler_usage",
    ];

    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapGet("/patient_health_metric", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context, ["filter[patient]", "filter[groups]", "filter[organization]"]);
            var scope = Common.PatientScope(context, OrgScope.Of(context, state)) ?? throw Common.ScopeRequired("filter[patient]", "filter[groups]", "filter[organization]");
            var metrics = state.Store.Snapshot("patient_health_metric")
                .Where(m => Documents.RelatedId(m, "patient") is { } p && scope.Contains(p))
                .ToList();
            return Common.Ok(Paging.Page(context, metrics, PagingRules.Standard));
        });

        pub.MapPost("/patient_health_metric", async (HttpContext context, SandboxState state) =>
        {
            var root = await RequestBody.ReadJsonApiAsync(context) as JsonObject ?? throw ApiException.Body("", "body must be an object");
            var ignoreDuplicates = root["meta"] is JsonObject meta && RequestBody.OptionalBool(meta, "ignore_duplicates", "/meta") == true;
            var (items, bulk) = Bulk.Items(root);
            var scope = OrgScope.Of(context, state);

            // Validate and resolve everything first so a bad item writes nothing.
            var candidates = new List<(JsonObject Attributes, string Patient, DateTimeOffset OccurredAt, string Pointer)>();
            for (var i = 0; i < items.Count; i++)
            {
                var pointer = bulk ? $"/data/{i}" : "/data";
                var data = items[i] as JsonObject ?? throw ApiException.Body(pointer, "must be a resource object");
                RequestBody.CheckType(data, "patient_health_metric", pointer);
                var (attributes, occurredAt) = ValidAttributes(data, pointer);
                var patient = References.Patient(scope, data["relationships"]?["patient"]?["data"], pointer + "/relationships/patient/data");
                candidates.Add((attributes, patient, occurredAt, pointer));
            }

            var created = new List<JsonObject>();
            var ignored = new JsonArray();

            // The duplicate rule is checked and the metrics stored under the organization's gate (every patient here is
            // the token's organization's): creates of one organization wait only for each other's check-and-insert,
            // never for latency or for other organizations. The index makes a bulk create O(items), not O(stored).
            lock (state.OrganizationGate(scope.OrganizationId))
            {
                var now = state.Now();
                var pending = new Dictionary<(string Patient, string Type, DateTimeOffset At), string>();
                foreach (var (attributes, patient, occurredAt, pointer) in candidates)
                {
                    var type = (string)attributes["type"]!;
                    var key = (patient, type, occurredAt);
                    if ((state.Metrics.Find(patient, type, occurredAt) ?? pending.GetValueOrDefault(key)) is { } existingId)
                    {
                        if (ignoreDuplicates)
                        {
                            ignored.Add(JsonValue.Create(existingId)); // not Add<string>: that needs reflection-based JSON
                            continue;
                        }

                        throw ApiException.Body(pointer + "/attributes/occurred_at",
                            $"A {type} metric for this patient at this occurred_at already exists (id {existingId}); send meta.ignore_duplicates: true to skip it");
                    }

                    var newMetric = Common.NewResource("patient_health_metric", attributes,
                        new JsonObject { ["patient"] = Common.ToOne("patient", patient) }, now);
                    pending[key] = (string)newMetric["id"]!;
                    created.Add(newMetric);
                }

                // All of the request's metrics become visible at once, and the index learns them before the gate opens.
                state.Store.AddRange(created);
                foreach (var metric in created)
                {
                    state.Metrics.Add(metric);
                }
            }

            // The spec answers this create with 200, not 201.
            return Common.Ok(Bulk.Document(created, bulk, ignored, state, "patient_health_metric"));
        });
    }

    private static (JsonObject, DateTimeOffset) ValidAttributes(JsonObject data, string pointer)
    {
        var at = pointer + "/attributes";
        var given = data["attributes"] as JsonObject ?? throw ApiException.Body(at, "attributes must be an object");
        var type = RequestBody.OptionalEnum(given, "type", at, Types) ?? throw ApiException.Body(at + "/type", "type is required");
        var occurredAt = RequestBody.OptionalDateTime(given, "occurred_at", at) ?? throw ApiException.Body(at + "/occurred_at", "occurred_at is required");
        RequestBody.OptionalString(given, "unit", at);
        RequestBody.OptionalNumber(given, "systolic", at);
        RequestBody.OptionalNumber(given, "diastolic", at);
        if (given["code"] is { } code)
        {
            var codeObject = code as JsonObject ?? throw ApiException.Body(at + "/code", "code must be an object {system, value}");
            RequestBody.RequiredString(codeObject, "system", at + "/code");
            RequestBody.RequiredString(codeObject, "value", at + "/code");
        }

        var hasValue = given["value"] is not null;
        var hasPressure = given["systolic"] is not null && given["diastolic"] is not null;
        if (!hasValue && !hasPressure)
        {
            throw ApiException.Body(at + "/value", "value is required (or systolic and diastolic for blood_pressure)");
        }

        if (given["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetValue<string>()))
        {
            throw ApiException.Body(at + "/value", "value must not be empty");
        }

        var attributes = new JsonObject();
        foreach (var (key, value) in given)
        {
            if (key is not ("created_at" or "updated_at"))
            {
                attributes[key] = value?.DeepClone();
            }
        }

        return (attributes, occurredAt);
    }
}
