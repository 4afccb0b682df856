using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Fhir;

/// <summary>
/// One partner's FHIR settings, section <c>Fhir:Partners:&lt;partner&gt;</c> (named options, the name being the
/// partner), e.g. <c>Fhir__Partners__acme__Organization</c>, <c>Fhir__Partners__acme__IdentifierSystems__0__FhirSystem</c>.
/// FHIR system URIs hold ':' (a configuration section separator), so the mappings are lists of pairs, not dictionaries.
/// </summary>
public sealed class FhirPartnerOptions
{
    public const string SectionPrefix = "Fhir:Partners";

    /// <summary>The Twine organization the partner's patients are looked up in (<c>meta.query.organization</c>).</summary>
    [Required, RegularExpression(FhirOptionPatterns.TwineId, ErrorMessage = "Fhir:Partners:<partner>:Organization must be a Twine organization id (24 hexadecimal digits).")]
    public string Organization { get; set; } = "";

    /// <summary>FHIR identifier systems (URIs) and the Twine identifier system each one's values are in.</summary>
    [ValidateEnumeratedItems]
    public List<FhirIdentifierSystemMapping> IdentifierSystems { get; set; } = [];

    /// <summary>
    /// The Twine identifier system whose values are the partner's FHIR Patient ids: a literal reference
    /// <c>Patient/{id}</c> becomes identifier (this system, id). Empty: literal references are refused.
    /// </summary>
    [RegularExpression(FhirOptionPatterns.NonBlank)]
    public string? PatientIdSystem { get; set; }

    /// <summary>The partner's practitioners and the Twine users (coaches) they are as attendees.</summary>
    [ValidateEnumeratedItems]
    public List<FhirPractitionerMapping> Practitioners { get; set; } = [];

    /// <summary>Appointment serviceType/appointmentType codes and the Twine event types they become.</summary>
    [ValidateEnumeratedItems]
    public List<FhirEventTypeMapping> EventTypes { get; set; } = [];

    /// <summary>The Twine event type of an Appointment no <see cref="EventTypes"/> row matches; empty: such an Appointment is refused.</summary>
    [AllowedValues(null, "", "reminder", "telephone-call", "office-visit", "video-call",
        ErrorMessage = "Fhir:Partners:<partner>:DefaultEventType must be reminder, telephone-call, office-visit or video-call (or empty).")]
    public string? DefaultEventType { get; set; } = "office-visit";
}

public sealed class FhirIdentifierSystemMapping
{
    /// <summary>The FHIR Identifier.system (a URI, e.g. http://hospital.example.org/mrn or urn:oid:…).</summary>
    [Required, RegularExpression(FhirOptionPatterns.Uri, ErrorMessage = "FhirSystem must be an absolute URI (http(s):, urn:oid: or urn:uuid:…).")]
    public string FhirSystem { get; set; } = "";

    /// <summary>The Twine identifier system (e.g. medical-record-number).</summary>
    [Required, RegularExpression(FhirOptionPatterns.NonBlank)]
    public string TwineSystem { get; set; } = "";
}

public sealed class FhirPractitionerMapping
{
    /// <summary>A literal reference (<c>Practitioner/123</c>) or an identifier written <c>system|value</c>.</summary>
    [Required, RegularExpression(FhirOptionPatterns.PractitionerKey, ErrorMessage = "Practitioner must be Practitioner/<id> or <system>|<value>.")]
    public string Practitioner { get; set; } = "";

    /// <summary>The Twine user (coach) id the practitioner attends as.</summary>
    [Required, RegularExpression(FhirOptionPatterns.TwineId, ErrorMessage = "TwineUser must be a Twine user id (24 hexadecimal digits).")]
    public string TwineUser { get; set; } = "";
}

public sealed class FhirEventTypeMapping
{
    /// <summary>The coding's system; empty matches the code in any system.</summary>
    public string? System { get; set; }

    [Required, RegularExpression(FhirOptionPatterns.NonBlank)]
    public string Code { get; set; } = "";

    /// <summary>A Twine event type other than plan-check-in (an Appointment has a start and an end; a check-in has neither).</summary>
    [Required, AllowedValues("reminder", "telephone-call", "office-visit", "video-call",
        ErrorMessage = "TwineType must be reminder, telephone-call, office-visit or video-call.")]
    public string TwineType { get; set; } = "";
}

internal static class FhirOptionPatterns
{
    public const string TwineId = "^[0-9a-fA-F]{24}$";
    public const string NonBlank = @"^\S(.*\S)?$";
    public const string Uri = @"^(https?://\S+|urn:(oid|uuid):\S+|urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+)$";
    public const string PractitionerKey = @"^(Practitioner/[A-Za-z0-9\-\.]{1,64}|\S+\|\S+)$";
}

/// <summary>The data annotations of <see cref="FhirPartnerOptions"/> (and its lists' items), checked by generated code at start-up.</summary>
[OptionsValidator]
public sealed partial class FhirPartnerOptionsValidator : IValidateOptions<FhirPartnerOptions>;

/// <summary>What annotations cannot say: a FHIR system, practitioner or code is mapped at most once.</summary>
public sealed class FhirPartnerMappingsValidator : IValidateOptions<FhirPartnerOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirPartnerOptions options)
    {
        var failures = new List<string>();
        var prefix = $"{FhirPartnerOptions.SectionPrefix}:{name}";
        Unique(options.IdentifierSystems.Select(m => m.FhirSystem), $"{prefix}:IdentifierSystems maps a FhirSystem twice", failures);
        Unique(options.Practitioners.Select(m => m.Practitioner), $"{prefix}:Practitioners maps a Practitioner twice", failures);
        Unique(options.EventTypes.Select(m => $"{m.System}|{m.Code}"), $"{prefix}:EventTypes maps a System and Code twice", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Unique(IEnumerable<string> keys, string message, List<string> failures)
    {
        var repeated = keys.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0)
        {
            failures.Add($"{message}: {string.Join(", ", repeated)}.");
        }
    }
}

/// <summary>A partner's options as lookups, built once per options instance; what the mappers read.</summary>
public sealed class FhirPartner
{
    private readonly Dictionary<string, string> identifierSystems;
    private readonly Dictionary<string, string> practitioners;
    private readonly Dictionary<(string System, string Code), string> eventTypes;
    private readonly Dictionary<string, string> eventTypesAnySystem;

    public FhirPartner(FhirPartnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Organization = options.Organization;
        PatientIdSystem = string.IsNullOrWhiteSpace(options.PatientIdSystem) ? null : options.PatientIdSystem;
        DefaultEventType = string.IsNullOrWhiteSpace(options.DefaultEventType) ? null : options.DefaultEventType;
        identifierSystems = options.IdentifierSystems.DistinctBy(m => m.FhirSystem, StringComparer.Ordinal)
            .ToDictionary(m => m.FhirSystem, m => m.TwineSystem, StringComparer.Ordinal);
        practitioners = options.Practitioners.DistinctBy(m => m.Practitioner, StringComparer.Ordinal)
            .ToDictionary(m => m.Practitioner, m => m.TwineUser, StringComparer.Ordinal);
        eventTypes = options.EventTypes.Where(m => !string.IsNullOrEmpty(m.System)).DistinctBy(m => (m.System!, m.Code))
            .ToDictionary(m => (m.System!, m.Code), m => m.TwineType);
        eventTypesAnySystem = options.EventTypes.Where(m => string.IsNullOrEmpty(m.System)).DistinctBy(m => m.Code, StringComparer.Ordinal)
            .ToDictionary(m => m.Code, m => m.TwineType, StringComparer.Ordinal);
    }

    public string Organization { get; }
    public string? PatientIdSystem { get; }
    public string? DefaultEventType { get; }

    public string? TwineSystemFor(string? fhirSystem) => fhirSystem is null ? null : identifierSystems.GetValueOrDefault(fhirSystem);

    /// <summary>The Twine user for a practitioner key (<c>Practitioner/{id}</c> or <c>system|value</c>).</summary>
    public string? TwineUserFor(string key) => practitioners.GetValueOrDefault(key);

    public string? EventTypeFor(string? system, string? code)
    {
        if (code is null)
        {
            return null;
        }

        return system is not null && eventTypes.TryGetValue((system, code), out var type) ? type : eventTypesAnySystem.GetValueOrDefault(code);
    }
}
