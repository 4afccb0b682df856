using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Twine.Functions.Fhir;

/// <summary>The Patients of one Bundle, by <c>fullUrl</c> (including <c>urn:uuid:</c>) and by <c>Patient/{id}</c>, with their paths.</summary>
public sealed class FhirBundlePatients
{
    private readonly Dictionary<string, (Patient Patient, string Path)> byReference = new(StringComparer.Ordinal);

    public static readonly FhirBundlePatients None = new();

    public void Add(string? fullUrl, Patient patient, string path)
    {
        if (!string.IsNullOrEmpty(fullUrl))
        {
            byReference.TryAdd(fullUrl, (patient, path));
        }

        if (!string.IsNullOrEmpty(patient.Id))
        {
            byReference.TryAdd("Patient/" + patient.Id, (patient, path));
        }
    }

    public bool TryFind(string reference, out Patient patient, out string path)
    {
        if (byReference.TryGetValue(reference, out var found))
        {
            (patient, path) = found;
            return true;
        }

        patient = null!;
        path = "";
        return false;
    }
}

/// <summary>A subject resolved to a Twine identifier, or refused with the element's FHIRPath and the reason.</summary>
public readonly record struct FhirSubject(FhirPatientIdentifier? Identifier, string? RefusedAt, string? Reason);

/// <summary>
/// Resolves a reference to a patient (Observation.subject, an Appointment's Patient participant) to a Twine patient
/// identifier: a logical reference (<c>identifier</c>) whose system the partner maps; a reference to a Patient in the
/// same Bundle (by <c>fullUrl</c>, <c>urn:uuid:</c> included, or <c>Patient/{id}</c>) or contained in the resource
/// (<c>#id</c>), whose first identifier of a mapped system is used; or a literal <c>Patient/{id}</c> that the
/// partner's <see cref="FhirPartner.PatientIdSystem"/> maps.
/// </summary>
public static partial class FhirSubjects
{
    [GeneratedRegex(@"^Patient/(?<id>[A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?$")]
    private static partial Regex LiteralPatient();

    public static FhirSubject Resolve(ResourceReference? reference, string path, DomainResource owner, FhirPartner partner, FhirBundlePatients patients)
    {
        if (reference is null)
        {
            return Refuse(path, "A patient is required.");
        }

        if (!string.IsNullOrEmpty(reference.Type) && reference.Type != "Patient")
        {
            return Refuse($"{path}.type", $"The reference is to a {reference.Type}; only a Patient can be mapped to a Twine patient.");
        }

        if (reference.Identifier is { } identifier && (identifier.System is not null || identifier.Value is not null))
        {
            return FromIdentifier(identifier, $"{path}.identifier", partner);
        }

        var literal = reference.Reference;
        if (string.IsNullOrEmpty(literal))
        {
            return Refuse(path, "The reference has neither an identifier nor a reference.");
        }

        if (literal.StartsWith('#'))
        {
            var contained = owner.Contained.OfType<Patient>().FirstOrDefault(p => "#" + p.Id == literal);
            if (contained is null)
            {
                return Refuse($"{path}.reference", "The reference names no contained Patient.");
            }

            // A contained resource's id is local to the resource that contains it ("#p1"), never the partner's Patient
            // id: only its identifiers can say who the patient is.
            var index = owner.Contained.IndexOf(contained);
            return FromPatient(contained, $"{owner.TypeName}.contained[{index}]", partner, path, idIsLocal: true);
        }

        if (patients.TryFind(literal, out var patient, out var patientPath))
        {
            return FromPatient(patient, patientPath, partner, path);
        }

        var match = LiteralPatient().Match(literal);
        if (match.Success)
        {
            return partner.PatientIdSystem is { } system
                ? new FhirSubject(new FhirPatientIdentifier(system, match.Groups["id"].Value, partner.Organization), null, null)
                : Refuse($"{path}.reference", "A literal Patient reference cannot be mapped: this partner has no PatientIdSystem; send subject.identifier or include the Patient in the Bundle.");
        }

        return literal.StartsWith("urn:uuid:", StringComparison.Ordinal) || literal.StartsWith("urn:oid:", StringComparison.Ordinal)
            ? Refuse($"{path}.reference", "The reference names no Patient entry (fullUrl) in this Bundle.")
            : Refuse($"{path}.reference", "Only Patient/{id}, a fullUrl of a Patient in the same Bundle, or a contained Patient (#id) can be resolved; absolute references to other servers are not followed.");
    }

    private static FhirSubject FromIdentifier(Identifier identifier, string path, FhirPartner partner)
    {
        if (string.IsNullOrWhiteSpace(identifier.Value))
        {
            return Refuse($"{path}.value", "The identifier has no value.");
        }

        if (string.IsNullOrEmpty(identifier.System))
        {
            return Refuse($"{path}.system", "The identifier has no system; the partner's settings map identifier systems to Twine's.");
        }

        return partner.TwineSystemFor(identifier.System) is { } twineSystem
            ? new FhirSubject(new FhirPatientIdentifier(twineSystem, identifier.Value, partner.Organization), null, null)
            : Refuse($"{path}.system", $"The identifier system {identifier.System} is not mapped to a Twine identifier system for this partner.");
    }

    private static FhirSubject FromPatient(Patient patient, string patientPath, FhirPartner partner, string referencePath, bool idIsLocal = false)
    {
        foreach (var identifier in patient.Identifier)
        {
            if (!string.IsNullOrWhiteSpace(identifier.Value) && partner.TwineSystemFor(identifier.System) is { } twineSystem)
            {
                return new FhirSubject(new FhirPatientIdentifier(twineSystem, identifier.Value, partner.Organization), null, null);
            }
        }

        if (!idIsLocal && !string.IsNullOrEmpty(patient.Id) && partner.PatientIdSystem is { } system)
        {
            return new FhirSubject(new FhirPatientIdentifier(system, patient.Id, partner.Organization), null, null);
        }

        return Refuse(referencePath, idIsLocal
            ? $"The contained Patient ({patientPath}) has no identifier of a system this partner maps (a contained resource's id is local to its container, not a Patient id)."
            : $"The referenced Patient ({patientPath}) has no identifier of a system this partner maps, and no id the partner's PatientIdSystem could carry.");
    }

    private static FhirSubject Refuse(string path, string reason) => new(null, path, reason);
}
