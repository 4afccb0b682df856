namespace Twine.Client.Models;

public sealed class PatientResource() : TwineResource<PatientAttributes, PatientRelationships>(ResourceTypes.Patient);

public sealed class PatientAttributes
{
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? EmailAddress { get; set; }
    public List<PhoneNumber>? PhoneNumbers { get; set; }
    public List<Address>? Addresses { get; set; }
    public List<PatientIdentifier>? Identifiers { get; set; }
    public DateOnly? BirthDate { get; set; }

    /// <summary>male, female or other.</summary>
    public string? Gender { get; set; }

    /// <summary>The coach's note; not visible to the patient.</summary>
    public string? Note { get; set; }

    // Read-only below.
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
    public DateTimeOffset? FirstAccessAt { get; set; }
    public DateTimeOffset? InvitedAt { get; set; }
    public DateTimeOffset? EnrolledAt { get; set; }
    public DateTimeOffset? LastAccessAt { get; set; }
    public bool? Archived { get; set; }
    public List<ArchiveHistoryEntry>? ArchiveHistory { get; set; }
    public PatientStatement? Statement { get; set; }
}

public sealed class PhoneNumber
{
    /// <summary>home, work, mobile, home-fax, work-fax or other.</summary>
    public string Type { get; set; } = "mobile";
    public string Value { get; set; } = "";
    public bool Primary { get; set; }
}

public sealed class Address
{
    public string? City { get; set; }
    public string? State { get; set; }
    public string? PostalCode { get; set; }
    public List<string>? Lines { get; set; }
    public string? Use { get; set; }
    public string? Type { get; set; }
    public string? Text { get; set; }
    public string? District { get; set; }
    public string? Country { get; set; }
}

public sealed class PatientIdentifier
{
    public string? Label { get; set; }
    public string System { get; set; } = "";
    public string Value { get; set; } = "";

    /// <summary>When true (Twine's default) system + value must be unique across Twine.</summary>
    public bool? Unique { get; set; }
}

public sealed class ArchiveHistoryEntry
{
    public bool? Archived { get; set; }
    public DateTimeOffset? ModifiedAt { get; set; }
    public string? Reason { get; set; }
    public string? Notes { get; set; }
}

public sealed class PatientStatement
{
    public string? Value { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

public sealed class PatientRelationships
{
    /// <summary>Groups by id or by <c>meta.query</c> (<see cref="ResourceIdentifier.GroupByName"/>); required on create.</summary>
    public Relationship? Groups { get; set; }
    public Relationship? Coaches { get; set; }
}
