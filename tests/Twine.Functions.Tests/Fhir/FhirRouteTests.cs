using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Processing;
using Twine.Sandbox;
using Twine.Functions.Fhir;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Fhir;

/// <summary>
/// The /api/fhir routes end to end: signed FHIR in, OperationOutcome or 202 with Content-Location out, and through the
/// unchanged queue processing to the sandbox (the right types, values, units, times and patients), against Azurite.
/// </summary>
public sealed class FhirRouteTests : IClassFixture<SandboxFixture>
{
    private const string Mrn = "http://hospital.example.org/mrn";
    private const string PatientId = ProcessingApp.PatientId; // seeded with medical-record-number 900003
    private const string PatientMrn = "900003";
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public FhirRouteTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestApp App(bool fhirSettings = true) => ProcessingApp.Create(_azurite, _sandbox, configure: settings =>
    {
        if (fhirSettings)
        {
            var prefix = $"Fhir:Partners:{TestApp.TestPartner}";
            settings[$"{prefix}:Organization"] = TestApp.Organization;
            settings[$"{prefix}:IdentifierSystems:0:FhirSystem"] = Mrn;
            settings[$"{prefix}:IdentifierSystems:0:TwineSystem"] = "medical-record-number";
            settings[$"{prefix}:DefaultEventType"] = "office-visit";
        }
    });

    private static FhirIngestionHandler Handler(TestApp app) => app.Services.GetRequiredService<FhirIngestionHandler>();

    private static async Task<TestResponse> SendAsync(TestApp app, JsonNode body, Func<FhirIngestionHandler, WebhookRequest, Task<Microsoft.AspNetCore.Http.IResult>> route,
        string contentType = "application/fhir+json", string? idempotencyKey = null, string? webhookId = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        using var stream = new MemoryStream(bytes);
        var request = new WebhookRequest(app.Sign(bytes, webhookId), contentType, null, bytes.Length, idempotencyKey, stream);
        return await app.ExecuteAsync(await route(Handler(app), request));
    }

    private static JsonObject Subject() => new() { ["identifier"] = new JsonObject { ["system"] = Mrn, ["value"] = PatientMrn } };

    private static JsonObject Observation(string loinc, JsonObject value, string status = "final", string effective = "2026-03-14T08:15:00Z") => new()
    {
        ["resourceType"] = "Observation",
        ["status"] = status,
        ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = loinc }) },
        ["subject"] = Subject(),
        ["effectiveDateTime"] = effective,
        ["valueQuantity"] = value,
    };

    private static JsonObject Quantity(double value, string unit) => new() { ["value"] = value, ["system"] = "http://unitsofmeasure.org", ["code"] = unit };

    private static JsonObject BloodPressure() => new()
    {
        ["resourceType"] = "Observation",
        ["status"] = "final",
        ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "85354-9" }) },
        ["subject"] = Subject(),
        ["effectiveDateTime"] = "2026-03-14T08:10:00Z",
        ["component"] = new JsonArray(
            new JsonObject { ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "8480-6" }) }, ["valueQuantity"] = Quantity(128, "mm[Hg]") },
            new JsonObject { ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "8462-4" }) }, ["valueQuantity"] = Quantity(82, "mm[Hg]") }),
    };

    private static JsonObject Bundle(string type, params JsonObject[] resources) => new()
    {
        ["resourceType"] = "Bundle",
        ["type"] = type,
        ["entry"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject { ["fullUrl"] = "urn:uuid:" + Guid.NewGuid(), ["resource"] = r })]),
    };

    private static async Task DrainAsync(TestApp app)
    {
        foreach (var message in await app.TakeMessagesAsync(app.Names.MetricsQueue))
        {
            await app.MetricsProcessor().ProcessAsync(message, 1, Ct);
        }
    }

    [Fact]
    public async Task A_bundle_is_delivered_entry_by_entry_and_the_status_lists_every_entry()
    {
        await using var app = App();
        var bundle = Bundle("batch",
            BloodPressure(),
            Observation("8867-4", Quantity(72, "/min")),
            Observation("29463-7", Quantity(81.5, "kg"), status: "preliminary"),
            Observation("8867-4", Quantity(70, "/min"), effective: "2026-03"));

        var response = await SendAsync(app, bundle, (h, r) => h.HandleBundleAsync(r, Ct));

        Assert.True(response.Status == 202, response.Body);
        Assert.StartsWith("application/fhir+json", response.ContentType, StringComparison.Ordinal);
        var statusUrl = response.Headers["Content-Location"];
        Assert.StartsWith("/api/ingestions/", statusUrl, StringComparison.Ordinal);
        var outcome = response.Json;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.True(outcome["issue"]!.AsArray().Any(i => i!["expression"]?[0]?.GetValue<string>() == "Bundle.entry[2].resource"), response.Body);

        await DrainAsync(app);

        var id = statusUrl["/api/ingestions/".Length..];
        var status = (await app.GetStatusAsync(id)).Json;
        Assert.Equal("succeeded", status["status"]!.GetValue<string>());
        Assert.Equal(2, status["counts"]!["created"]!.GetValue<int>());
        var entries = status["entries"]!.AsArray();
        Assert.Equal(["delivered", "delivered", "skipped", "refused"], entries.Select(e => e!["outcome"]!.GetValue<string>()));
        Assert.Equal("Bundle.entry[3].resource.effective", entries[3]!["expression"]!.GetValue<string>());

        var metrics = await app.SandboxMetricsAsync(PatientId);
        var bp = Assert.Single(metrics, m => m.Attributes?.Type == "blood_pressure");
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 8, 10, 0, TimeSpan.Zero), bp.Attributes!.OccurredAt);
        Assert.Equal("mm[Hg]", bp.Attributes.Unit);
        var heart = Assert.Single(metrics, m => m.Attributes?.Type == "heart_rate");
        Assert.Equal("/min", heart.Attributes!.Unit);
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 8, 15, 0, TimeSpan.Zero), heart.Attributes.OccurredAt);
    }

    [Fact]
    public async Task One_observation_is_accepted_and_a_repeated_webhook_id_starts_nothing_new()
    {
        await using var app = App();
        var body = Observation("8867-4", Quantity(64, "/min"));

        var first = await SendAsync(app, body, (h, r) => h.HandleObservationAsync(r, Ct), webhookId: "msg_fhir_once");
        var again = await SendAsync(app, body, (h, r) => h.HandleObservationAsync(r, Ct), webhookId: "msg_fhir_once");

        Assert.Equal(202, first.Status);
        Assert.Equal(202, again.Status);
        Assert.Equal(first.Headers["Content-Location"], again.Headers["Content-Location"]);
        Assert.Single(await app.TakeMessagesAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Errors_are_operation_outcomes_with_fhir_status_codes()
    {
        await using var app = App();

        // Unsigned: 401, nothing read.
        var bytes = Encoding.UTF8.GetBytes(Observation("8867-4", Quantity(64, "/min")).ToJsonString());
        using (var stream = new MemoryStream(bytes))
        {
            var unsigned = await app.ExecuteAsync(await Handler(app).HandleObservationAsync(
                new WebhookRequest(new WebhookHeaders(null, null, null), "application/fhir+json", null, bytes.Length, null, stream), Ct));
            AssertOutcome(unsigned, 401, "security");
        }

        AssertOutcome(await SendAsync(app, Observation("8867-4", Quantity(64, "/min")), (h, r) => h.HandleObservationAsync(r, Ct), contentType: "application/xml"), 415, "not-supported");
        AssertOutcome(await SendAsync(app, Observation("8867-4", Quantity(64, "/min")), (h, r) => h.HandleObservationAsync(r, Ct), contentType: "application/fhir+json; fhirVersion=5.0"), 415, "not-supported");
        AssertOutcome(await SendAsync(app, new JsonObject { ["resourceType"] = "Observation", ["nonsense"] = 1 }, (h, r) => h.HandleObservationAsync(r, Ct)), 400, null);
        AssertOutcome(await SendAsync(app, Observation("8867-4", Quantity(64, "/min"), effective: "2026"), (h, r) => h.HandleObservationAsync(r, Ct)), 422, null);

        // Same Idempotency-Key, another body: the shared acceptor's 422 in FHIR's words, naming the header.
        await SendAsync(app, Observation("8867-4", Quantity(60, "/min")), (h, r) => h.HandleObservationAsync(r, Ct), idempotencyKey: "fhir-key-1");
        var reused = await SendAsync(app, Observation("8867-4", Quantity(61, "/min")), (h, r) => h.HandleObservationAsync(r, Ct), idempotencyKey: "fhir-key-1");
        AssertOutcome(reused, 422, null);
        Assert.Contains("Idempotency-Key", reused.Body, StringComparison.Ordinal);

        Assert.Empty((await app.TakeMessagesAsync(app.Names.MetricsQueue)).Skip(1)); // only the first keyed request queued
    }

    [Fact]
    public async Task A_partner_without_fhir_settings_is_refused_on_the_fhir_routes_only()
    {
        await using var app = App(fhirSettings: false);

        AssertOutcome(await SendAsync(app, Observation("8867-4", Quantity(64, "/min")), (h, r) => h.HandleObservationAsync(r, Ct)), 403, "forbidden");
        Assert.Equal(202, (await app.PostMetricsAsync(ProcessingApp.Metrics(1))).Status);
    }

    [Fact]
    public async Task An_appointment_becomes_a_calendar_event_and_a_cancellation_deletes_it()
    {
        await using var app = App();
        var appointment = new JsonObject
        {
            ["resourceType"] = "Appointment",
            ["id"] = "visit-42",
            ["status"] = "booked",
            ["description"] = "Follow-up visit",
            ["start"] = "2026-03-20T09:00:00Z",
            ["end"] = "2026-03-20T09:30:00Z",
            ["participant"] = new JsonArray(new JsonObject
            {
                ["actor"] = new JsonObject { ["type"] = "Patient", ["identifier"] = new JsonObject { ["system"] = Mrn, ["value"] = PatientMrn } },
                ["status"] = "accepted",
            }),
        };

        var put = await SendAsync(app, appointment, (h, r) => h.HandleAppointmentPutAsync(r, "visit-42", Ct));
        Assert.True(put.Status == 202, put.Body);
        await ProcessCalendarAsync(app);

        var created = Assert.Single(await app.SandboxEventsAsync(PatientId), e => e.Attributes?.Title == "Follow-up visit");
        Assert.Equal(new DateTimeOffset(2026, 3, 20, 9, 0, 0, TimeSpan.Zero), created.Attributes!.StartAt);

        app.Time.Advance(TimeSpan.FromSeconds(5)); // a later signed timestamp: a newer write
        appointment["status"] = "cancelled";
        Assert.Equal(202, (await SendAsync(app, appointment, (h, r) => h.HandleAppointmentPutAsync(r, "visit-42", Ct))).Status);
        await ProcessCalendarAsync(app);

        Assert.DoesNotContain(await app.SandboxEventsAsync(PatientId), e => e.Id == created.Id);
    }

    [Fact]
    public async Task A_delete_must_sign_the_appointment_it_deletes()
    {
        await using var app = App();

        var other = await SendAsync(app, new JsonObject { ["resourceType"] = "Appointment", ["id"] = "visit-7" },
            (h, r) => h.HandleAppointmentDeleteAsync(r, "visit-8", Ct));
        AssertOutcome(other, 422, "business-rule");

        var named = await SendAsync(app, new JsonObject { ["resourceType"] = "Appointment", ["id"] = "visit-8" },
            (h, r) => h.HandleAppointmentDeleteAsync(r, "visit-8", Ct));
        Assert.Equal(202, named.Status);
    }

    [Fact]
    public async Task An_appointment_whose_patient_twine_does_not_know_is_refused_with_its_path()
    {
        await using var app = App();
        var appointment = new JsonObject
        {
            ["resourceType"] = "Appointment",
            ["id"] = "visit-43",
            ["status"] = "booked",
            ["start"] = "2026-03-20T09:00:00Z",
            ["end"] = "2026-03-20T09:30:00Z",
            ["participant"] = new JsonArray(new JsonObject
            {
                ["actor"] = new JsonObject { ["type"] = "Patient", ["identifier"] = new JsonObject { ["system"] = Mrn, ["value"] = "no-such-mrn" } },
                ["status"] = "accepted",
            }),
        };

        var response = await SendAsync(app, appointment, (h, r) => h.HandleAppointmentPutAsync(r, "visit-43", Ct));

        AssertOutcome(response, 422, "business-rule");
        Assert.Contains("Appointment.participant", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_capability_statement_says_what_is_supported()
    {
        await using var app = App();

        var response = await app.ExecuteAsync(app.Services.GetRequiredService<FhirMetadataHandler>().Handle());

        Assert.Equal(200, response.Status);
        var statement = response.Json;
        Assert.Equal("CapabilityStatement", statement["resourceType"]!.GetValue<string>());
        Assert.Equal("4.0.1", statement["fhirVersion"]!.GetValue<string>());
    }

    private static async Task ProcessCalendarAsync(TestApp app)
    {
        foreach (var message in await app.TakeMessagesAsync(app.Names.CalendarEventsQueue))
        {
            await app.CalendarProcessor().ProcessAsync(message, 1, Ct);
        }
    }

    private static void AssertOutcome(TestResponse response, int status, string? code)
    {
        Assert.True(status == response.Status, $"expected {status}, got {response.Status}: {response.Body}");
        Assert.StartsWith("application/fhir+json", response.ContentType, StringComparison.Ordinal);
        var outcome = response.Json;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        var issue = outcome["issue"]![0]!;
        Assert.Equal("error", issue["severity"]!.GetValue<string>());
        if (code is not null)
        {
            Assert.Equal(code, issue["code"]!.GetValue<string>());
        }

        Assert.False(string.IsNullOrWhiteSpace(issue["diagnostics"]?.GetValue<string>()));
    }
}
