using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Functions.CalendarEvents;
using Twine.Functions.EmailHistory;
using Twine.Functions.Fhir;
using Twine.Functions.Ingestions.Status;
using Twine.Functions.Metrics;
using Twine.Functions.Platform.Health;

namespace Twine.Functions.Tests.Hostile;

/// <summary>
/// One app for the whole corpus: the ingestion edge, the read endpoints and the health endpoint wired as the host wires
/// them (AddIngestion, AddPolling, AddTwineSecrets, AddTwineClient, AddHealthEndpoint) over fresh-named tables and
/// queues in the shared Azurite, and a sandbox on a free loopback port for the health check's token. Requests go
/// through the function classes (so the binding of headers, query and route values is exercised too).
/// </summary>
public sealed class HostileApp : IAsyncLifetime
{
    /// <summary>The Standard Webhooks specification's example secret; the app knows it as partner <see cref="Partner"/>.</summary>
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    public const string Partner = "hostile-corpus";

    private SandboxServer? _sandbox;
    private TestApp? _app;

    public TestApp App => _app ?? throw new InvalidOperationException("Not started.");

    public HostileSummary Summary { get; } = new();

    /// <summary>The corpus's own partner and secret (Webhooks:Partners:{name}:Secrets:0); the verifier tries every partner.</summary>
    private static void SignatureSettings(Dictionary<string, string?> settings) =>
        settings[$"Webhooks:Partners:{Partner}:Secrets:0"] = Secret;

    /// <summary>The FHIR identifier system the corpus's partner maps (to Twine's medical-record-number).</summary>
    public const string FhirMrnSystem = "http://hospital.example.org/mrn";

    /// <summary>
    /// The corpus partner's FHIR settings (Fhir:Partners:{name}:*, as FhirRouteTests sets them), so that a FHIR file
    /// reaches the mapping it is about instead of the 403 of a partner without FHIR settings.
    /// </summary>
    private static void FhirSettings(Dictionary<string, string?> settings)
    {
        var prefix = $"{FhirPartnerOptions.SectionPrefix}:{Partner}";
        settings[$"{prefix}:Organization"] = "58c4554710123c5c40dbab81";
        settings[$"{prefix}:IdentifierSystems:0:FhirSystem"] = FhirMrnSystem;
        settings[$"{prefix}:IdentifierSystems:0:TwineSystem"] = "medical-record-number";
        settings[$"{prefix}:PatientIdSystem"] = "hostile-fhir-patient";
        settings[$"{prefix}:Practitioners:0:Practitioner"] = "Practitioner/dr-hostile";
        settings[$"{prefix}:Practitioners:0:TwineUser"] = "5a0c8e27a9d454cc150997c9";
        settings[$"{prefix}:EventTypes:0:System"] = "http://snomed.info/sct";
        settings[$"{prefix}:EventTypes:0:Code"] = "185317003";
        settings[$"{prefix}:EventTypes:0:TwineType"] = "telephone-call";
        settings[$"{prefix}:DefaultEventType"] = "office-visit";
    }

    private readonly SemaphoreSlim _gate = new(1, 1);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Starts the app on first use (the Azurite assembly fixture reaches the test class, not this fixture).</summary>
    public async Task EnsureStartedAsync(AzuriteFixture azurite)
    {
        await _gate.WaitAsync();
        try
        {
            if (_app is null)
            {
                await StartAsync(azurite);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartAsync(AzuriteFixture azurite)
    {
        _sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = 0 });
        _app = new TestApp(azurite, sandbox: _sandbox, configure: settings =>
        {
            settings["Twine:EnableRetries"] = "false";
            settings["PollTwineUpdates:EmailSenders"] = "5a0c8e27a9d454cc150997c9";
            SignatureSettings(settings);
            FhirSettings(settings);
        });
    }

    public async ValueTask DisposeAsync()
    {
        Summary.Write();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }
    }

    /// <summary>The endpoint a request is for ("POST /api/metrics", …), or null when no function has that route.</summary>
    public static string? Endpoint(HostileRequest request) => (request.Method, Route(request.RawPath).Template) switch
    {
        ("POST", "/api/metrics") => "POST /api/metrics",
        ("PUT", "/api/calendar-events/{externalId}") => "PUT /api/calendar-events/{externalId}",
        ("DELETE", "/api/calendar-events/{externalId}") => "DELETE /api/calendar-events/{externalId}",
        ("GET", "/api/calendar-events/{externalId}") => "GET /api/calendar-events/{externalId}",
        ("GET", "/api/ingestions/{id}") => "GET /api/ingestions/{id}",
        ("GET", "/api/email-history") => "GET /api/email-history",
        ("GET", "/api/health") => "GET /api/health",
        ("GET", "/api/fhir/metadata") => "GET /api/fhir/metadata",
        ("POST", "/api/fhir/Observation") => "POST /api/fhir/Observation",
        ("POST", "/api/fhir") => "POST /api/fhir",
        ("PUT", "/api/fhir/Appointment/{id}") => "PUT /api/fhir/Appointment/{id}",
        ("DELETE", "/api/fhir/Appointment/{id}") => "DELETE /api/fhir/Appointment/{id}",
        _ => null,
    };

    /// <summary>The FHIR facade's routes answer errors as OperationOutcomes (application/fhir+json), not problem details.</summary>
    public static bool IsFhir(HostileRequest request) => Endpoint(request)?.Contains(" /api/fhir", StringComparison.Ordinal) == true;

    /// <summary>The route template and the route value (decoded as the host decodes it), for the app's routes.</summary>
    private static (string? Template, string? Value) Route(string rawPath)
    {
        foreach (var (prefix, template) in new[] { ("/api/calendar-events/", "/api/calendar-events/{externalId}"), ("/api/ingestions/", "/api/ingestions/{id}"), ("/api/fhir/Appointment/", "/api/fhir/Appointment/{id}") })
        {
            if (rawPath.StartsWith(prefix, StringComparison.Ordinal) && rawPath.Length > prefix.Length && !rawPath[prefix.Length..].Contains('/'))
            {
                return (template, Uri.UnescapeDataString(rawPath[prefix.Length..]));
            }
        }

        return rawPath is "/api/metrics" or "/api/email-history" or "/api/health" or "/api/fhir" or "/api/fhir/metadata" or "/api/fhir/Observation"
            ? (rawPath, null)
            : (null, null);
    }

    /// <summary>Sends the request through its function class and runs the result into a DefaultHttpContext.</summary>
    public async Task<TestResponse> SendAsync(HostileRequest request, CancellationToken cancellationToken)
    {
        var endpoint = Endpoint(request) ?? throw new InvalidOperationException($"{request.Name}: no function has the route {request.Method} {request.RawPath}.");
        var routeValue = Route(request.RawPath).Value;
        var context = new DefaultHttpContext { RequestServices = App.Services };
        var http = context.Request;
        http.Method = request.Method;
        http.Scheme = "https";
        http.Host = new HostString("localhost");
        http.Path = new PathString(Uri.UnescapeDataString(request.RawPath));
        http.QueryString = new QueryString(request.RawQuery);
        foreach (var (name, value) in request.Headers)
        {
            // Not Headers.Append: it drops empty values, which a real server passes on.
            http.Headers[name] = http.Headers.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        if (request.IsWrite && !request.Unsigned && !request.HasWebhookHeaders)
        {
            Sign(http.Headers, request);
        }

        http.Body = new MemoryStream(request.Body);
        http.ContentLength = request.ContentLength switch
        {
            null => request.Body.Length,
            "none" => null,
            var declared => long.Parse(declared, System.Globalization.CultureInfo.InvariantCulture),
        };

        var services = App.Services;
        var result = endpoint switch
        {
            "POST /api/metrics" => await Create<IngestMetricsFunction>().Run(http, cancellationToken),
            "PUT /api/calendar-events/{externalId}" => await Create<CalendarEventFunctions>().Put(http, routeValue!, cancellationToken),
            "DELETE /api/calendar-events/{externalId}" => await Create<CalendarEventFunctions>().Delete(http, routeValue!, cancellationToken),
            "GET /api/calendar-events/{externalId}" => await Create<CalendarEventFunctions>().Get(http, routeValue!, cancellationToken),
            "GET /api/ingestions/{id}" => await Create<GetIngestionStatusFunction>().Run(http, routeValue!, cancellationToken),
            "GET /api/email-history" => await Create<GetEmailHistoryFunction>().GetEmailHistory(http, cancellationToken),
            "GET /api/health" => await Create<HealthFunction>().Run(http, cancellationToken),
            "GET /api/fhir/metadata" => Create<FhirFunctions>().Metadata(http),
            "POST /api/fhir/Observation" => await Create<FhirFunctions>().PostObservation(http, cancellationToken),
            "POST /api/fhir" => await Create<FhirFunctions>().PostBundle(http, cancellationToken),
            "PUT /api/fhir/Appointment/{id}" => await Create<FhirFunctions>().PutAppointment(http, routeValue!, cancellationToken),
            "DELETE /api/fhir/Appointment/{id}" => await Create<FhirFunctions>().DeleteAppointment(http, routeValue!, cancellationToken),
            _ => throw new InvalidOperationException(endpoint),
        };
        return await App.ExecuteAsync(result);

        T Create<T>() => ActivatorUtilities.CreateInstance<T>(services);
    }

    /// <summary>Standard Webhooks: v1 = base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")).</summary>
    private void Sign(IHeaderDictionary headers, HostileRequest request)
    {
        var id = request.SignId ?? "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = (App.Time.GetUtcNow().ToUnixTimeSeconds() + (request.SignOffsetSeconds ?? 0)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var secret = request.SignSecret ?? Secret;
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(request.SignBody ?? request.Body).ToArray();
        headers["webhook-id"] = new StringValues(id);
        headers["webhook-timestamp"] = timestamp;
        headers["webhook-signature"] = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }
}
