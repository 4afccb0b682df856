using System.Text;
using System.Text.Json.Nodes;
using Twine.Functions.Fhir;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// FHIR R4 resources written from the specification's profiles (vital signs, the Observation and Appointment
/// resources, the R4 Subscriptions Backport IG), as JSON nodes so each test changes one element.
/// </summary>
public static class FhirFixtures
{
    public const string Organization = "5817ead56f5316c0d05ba8b0";
    public const string MrnSystem = "http://hospital.example.org/mrn";
    public const string Coach1 = "5a0c8e27a9d454cc150997c9";
    public const string Coach2 = "5a0c8e27a9d454cc150997f7";

    public static FhirPartnerOptions Options() => new()
    {
        Organization = Organization,
        IdentifierSystems =
        [
            new() { FhirSystem = MrnSystem, TwineSystem = "medical-record-number" },
            new() { FhirSystem = "urn:oid:2.16.840.1.113883.4.1", TwineSystem = "ssn-like" },
        ],
        PatientIdSystem = "acme-fhir-patient",
        Practitioners =
        [
            new() { Practitioner = "Practitioner/dr-who", TwineUser = Coach1 },
            new() { Practitioner = "http://hl7.org/fhir/sid/us-npi|1234567893", TwineUser = Coach2 },
        ],
        EventTypes =
        [
            new() { System = "http://terminology.hl7.org/CodeSystem/v2-0276", Code = "ROUTINE", TwineType = "office-visit" },
            new() { Code = "video", TwineType = "video-call" },
            new() { System = "http://snomed.info/sct", Code = "185317003", TwineType = "telephone-call" },
        ],
        DefaultEventType = "office-visit",
    };

    public static FhirPartner Partner(Action<FhirPartnerOptions>? change = null)
    {
        var options = Options();
        change?.Invoke(options);
        return new FhirPartner(options);
    }

    public static JsonObject Coding(string system, string code, string? display = null)
    {
        var coding = new JsonObject { ["system"] = system, ["code"] = code };
        if (display is not null)
        {
            coding["display"] = display;
        }

        return coding;
    }

    public static JsonObject Quantity(decimal value, string ucum) =>
        new() { ["value"] = value, ["unit"] = ucum, ["system"] = "http://unitsofmeasure.org", ["code"] = ucum };

    public static JsonObject SubjectByIdentifier(string value = "MRN-0042", string system = MrnSystem) =>
        new() { ["identifier"] = new JsonObject { ["system"] = system, ["value"] = value } };

    /// <summary>A vital-signs-profile Observation: category vital-signs, one coding, valueQuantity, effectiveDateTime, subject by identifier.</summary>
    public static JsonObject Observation(string system = "http://loinc.org", string code = "8867-4", decimal value = 72m, string unit = "/min",
        string status = "final", string effective = "2026-11-30T08:15:00-05:00") => new()
    {
        ["resourceType"] = "Observation",
        ["id"] = "obs-" + code,
        ["status"] = status,
        ["category"] = new JsonArray(new JsonObject
        {
            ["coding"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")),
        }),
        ["code"] = new JsonObject { ["coding"] = new JsonArray(Coding(system, code)) },
        ["subject"] = SubjectByIdentifier(),
        ["effectiveDateTime"] = effective,
        ["valueQuantity"] = Quantity(value, unit),
    };

    /// <summary>The vital-signs blood pressure profile: code 85354-9, systolic and diastolic components, no value.</summary>
    public static JsonObject BloodPressure(decimal systolic = 128, decimal diastolic = 82, string panelSystem = "http://loinc.org", string panelCode = "85354-9",
        string componentSystem = "http://loinc.org", string systolicCode = "8480-6", string diastolicCode = "8462-4")
    {
        var observation = Observation(panelSystem, panelCode);
        observation.Remove("valueQuantity");
        observation["component"] = new JsonArray(
            new JsonObject { ["code"] = new JsonObject { ["coding"] = new JsonArray(Coding(componentSystem, systolicCode)) }, ["valueQuantity"] = Quantity(systolic, "mm[Hg]") },
            new JsonObject { ["code"] = new JsonObject { ["coding"] = new JsonArray(Coding(componentSystem, diastolicCode)) }, ["valueQuantity"] = Quantity(diastolic, "mm[Hg]") });
        return observation;
    }

    public static JsonObject DataAbsent(string code = "asked-unknown") => new()
    {
        ["coding"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", code)),
    };

    public static JsonObject Patient(string id = "pat-1", string mrn = "MRN-0042", string system = MrnSystem) => new()
    {
        ["resourceType"] = "Patient",
        ["id"] = id,
        ["identifier"] = new JsonArray(new JsonObject { ["system"] = system, ["value"] = mrn }),
    };

    public static JsonObject Bundle(string type, params JsonObject[] entries) => new()
    {
        ["resourceType"] = "Bundle",
        ["type"] = type,
        ["entry"] = new JsonArray(entries.Select(e => (JsonNode)e).ToArray()),
    };

    public static JsonObject Entry(JsonObject resource, string? fullUrl = null, string? method = null)
    {
        var entry = new JsonObject();
        if (fullUrl is not null)
        {
            entry["fullUrl"] = fullUrl;
        }

        entry["resource"] = resource;
        if (method is not null)
        {
            entry["request"] = new JsonObject { ["method"] = method, ["url"] = resource["resourceType"]!.GetValue<string>() };
        }

        return entry;
    }

    /// <summary>An R4 Subscriptions Backport SubscriptionStatus (as Parameters) for an event notification.</summary>
    public static JsonObject SubscriptionStatus(string type = "event-notification", params string[] focus)
    {
        var parameters = new JsonArray(
            new JsonObject { ["name"] = "subscription", ["valueReference"] = new JsonObject { ["reference"] = "https://ehr.example.org/fhir/Subscription/vitals" } },
            new JsonObject { ["name"] = "topic", ["valueCanonical"] = "http://example.org/topics/vital-signs" },
            new JsonObject { ["name"] = "status", ["valueCode"] = "active" },
            new JsonObject { ["name"] = "type", ["valueCode"] = type },
            new JsonObject { ["name"] = "events-since-subscription-start", ["valueString"] = "12" });
        var number = 11;
        foreach (var reference in focus)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = "notification-event",
                ["part"] = new JsonArray(
                    new JsonObject { ["name"] = "event-number", ["valueString"] = (number++).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    new JsonObject { ["name"] = "timestamp", ["valueInstant"] = "2026-11-30T13:20:00Z" },
                    new JsonObject { ["name"] = "focus", ["valueReference"] = new JsonObject { ["reference"] = reference } }),
            });
        }

        return new JsonObject
        {
            ["resourceType"] = "Parameters",
            ["id"] = "status-1",
            ["meta"] = new JsonObject { ["profile"] = new JsonArray("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4") },
            ["parameter"] = parameters,
        };
    }

    public static JsonObject Appointment(string id = "appt-1", string status = "booked") => new()
    {
        ["resourceType"] = "Appointment",
        ["id"] = id,
        ["status"] = status,
        ["serviceType"] = new JsonArray(new JsonObject
        {
            ["coding"] = new JsonArray(Coding("http://snomed.info/sct", "185317003", "Telephone encounter")),
        }),
        ["appointmentType"] = new JsonObject
        {
            ["coding"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/v2-0276", "ROUTINE", "Routine appointment")),
        },
        ["description"] = "Blood pressure follow-up",
        ["start"] = "2026-11-30T15:00:00Z",
        ["end"] = "2026-11-30T15:30:00Z",
        ["comment"] = "Bring the home cuff.",
        ["participant"] = new JsonArray(
            new JsonObject
            {
                ["actor"] = new JsonObject { ["reference"] = "Patient/pat-1", ["display"] = "A patient" },
                ["required"] = "required",
                ["status"] = "accepted",
            },
            new JsonObject
            {
                ["actor"] = new JsonObject { ["reference"] = "Practitioner/dr-who" },
                ["status"] = "tentative",
            },
            new JsonObject
            {
                ["actor"] = new JsonObject { ["type"] = "Practitioner", ["identifier"] = new JsonObject { ["system"] = "http://hl7.org/fhir/sid/us-npi", ["value"] = "1234567893" } },
                ["status"] = "needs-action",
            },
            new JsonObject
            {
                ["actor"] = new JsonObject { ["reference"] = "Location/room-3", ["display"] = "Clinic room 3" },
                ["status"] = "accepted",
            }),
    };

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>The delivered metrics as the POST /api/metrics document (<c>{"data":[…]}</c>), or null when nothing is delivered.</summary>
    public static JsonObject? MetricsDocument(FhirMetricsRequest request)
    {
        var data = new JsonArray([.. request.DeliveredMetrics().Select(m => (JsonNode)m.ToJsonObject())]);
        return data.Count == 0 ? null : new JsonObject { ["data"] = data };
    }

    /// <summary>Runs the app's own POST /api/metrics reader on the delivered metrics: what the facade produces must pass it.</summary>
    public static void AssertMetricsReaderAccepts(FhirMetricsRequest request)
    {
        var document = MetricsDocument(request);
        Assert.NotNull(document);
        var read = MetricsRequestReader.Read(Bytes(document));
        Assert.True(read.Plan is not null,
            "MetricsRequestReader refused a delivered metric: " + read.MalformedReason + string.Join("; ", read.Errors.Select(e => $"{e.Pointer} {e.Detail}")));
        Assert.Equal(request.Delivered, read.MetricCount);
    }

    public static FhirMetricsRequest ReadObservation(JsonNode observation, FhirPartner? partner = null) =>
        FhirBundleReader.ReadObservation(Bytes(observation), partner ?? Partner());

    public static FhirMetricsRequest ReadBundle(JsonNode bundle, FhirPartner? partner = null) =>
        FhirBundleReader.ReadBundle(Bytes(bundle), partner ?? Partner());
}
