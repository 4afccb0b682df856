using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Twine.Client.Serialization;

namespace Twine.Client.Models;

/// <summary>A JSON:API resource object whose attributes are typed.</summary>
public class TwineResource<TAttributes>
    where TAttributes : class
{
    protected TwineResource(string type) => Type = type;

    public string Type { get; set; }

    /// <summary>Null on create: Twine assigns it.</summary>
    public string? Id { get; set; }

    public TAttributes? Attributes { get; set; }

    /// <summary>Read-only links Twine returns (<c>self</c>, <c>twine_web_app</c>).</summary>
    public ResourceLinks? Links { get; set; }
}

/// <summary>A JSON:API resource object with typed attributes and relationships.</summary>
public class TwineResource<TAttributes, TRelationships> : TwineResource<TAttributes>
    where TAttributes : class
    where TRelationships : class
{
    protected TwineResource(string type) : base(type) { }

    public TRelationships? Relationships { get; set; }
}

public sealed class ResourceLinks
{
    public string? Self { get; set; }
    public string? Related { get; set; }
    public string? TwineWebApp { get; set; }
}

/// <summary>A relationship: its resource linkage (one identifier or an array) and links.</summary>
public sealed class Relationship
{
    public ResourceLinkage? Data { get; set; }
    public ResourceLinks? Links { get; set; }

    public static Relationship ToOne(ResourceIdentifier identifier) => new() { Data = ResourceLinkage.One(identifier) };

    public static Relationship ToMany(params IEnumerable<ResourceIdentifier> identifiers) =>
        new() { Data = ResourceLinkage.Many(identifiers) };

    /// <summary>The id of a to-one relationship (or of the first member of a to-many one).</summary>
    [JsonIgnore]
    public string? Id => Data?.Items.Count > 0 ? Data.Items[0].Id : null;

    [JsonIgnore]
    public IReadOnlyList<string> Ids => Data?.Items.Where(i => i.Id is not null).Select(i => i.Id!).ToArray() ?? [];
}

/// <summary>
/// Resource linkage: JSON:API writes a to-one relationship as an object and a to-many one as an array.
/// Twine's spec is not always consistent about which (bundle actions), so both are read and the shape is kept.
/// </summary>
[JsonConverter(typeof(ResourceLinkageConverter))]
public sealed class ResourceLinkage
{
    private ResourceLinkage(bool isMany, IReadOnlyList<ResourceIdentifier> items)
    {
        IsMany = isMany;
        Items = items;
    }

    public bool IsMany { get; }
    public IReadOnlyList<ResourceIdentifier> Items { get; }

    public static ResourceLinkage One(ResourceIdentifier identifier) => new(false, [identifier]);
    public static ResourceLinkage Many(IEnumerable<ResourceIdentifier> identifiers) => new(true, identifiers.ToArray());
}

/// <summary>A resource identifier: by <c>id</c>, or by <c>meta.query</c> when Twine should look the resource up.</summary>
public sealed class ResourceIdentifier
{
    public string Type { get; set; } = "";
    public string? Id { get; set; }
    public ResourceIdentifierMeta? Meta { get; set; }

    public static ResourceIdentifier ById(string type, string id) => new() { Type = type, Id = id };

    public static ResourceIdentifier Patient(string id) => ById(ResourceTypes.Patient, id);

    /// <summary>A patient found by one of its identifiers within an organization (the query must match exactly one).</summary>
    public static ResourceIdentifier PatientByIdentifier(string system, string value, string? organization, IEnumerable<string>? groups = null) => new()
    {
        Type = ResourceTypes.Patient,
        Meta = new ResourceIdentifierMeta
        {
            Query = new ResourceQuery
            {
                Identifier = new IdentifierQuery { System = system, Value = value },
                Organization = organization,
                Groups = groups?.ToList(),
            },
        },
    };

    public static ResourceIdentifier Group(string id) => ById(ResourceTypes.Group, id);

    /// <summary>A group found by name in an organization; Twine creates it when none matches.</summary>
    public static ResourceIdentifier GroupByName(string organization, string name) => new()
    {
        Type = ResourceTypes.Group,
        Meta = new ResourceIdentifierMeta { Query = new ResourceQuery { Organization = organization, Name = name } },
    };

    public static ResourceIdentifier Coach(string id, bool? primary = null) => new()
    {
        Type = ResourceTypes.Coach,
        Id = id,
        Meta = primary is null ? null : new ResourceIdentifierMeta { Primary = primary },
    };
}

public sealed class ResourceIdentifierMeta
{
    public ResourceQuery? Query { get; set; }

    /// <summary>On a patient's coach: whether this coach is the primary one.</summary>
    public bool? Primary { get; set; }
}

/// <summary><c>meta.query</c>: a patient by identifier (+ organization, groups) or a group by organization + name.</summary>
public sealed class ResourceQuery
{
    public IdentifierQuery? Identifier { get; set; }
    public string? Organization { get; set; }
    public string? Name { get; set; }
    public List<string>? Groups { get; set; }
}

public sealed class IdentifierQuery
{
    public string System { get; set; } = "";
    public string Value { get; set; } = "";
}

/// <summary>A resource in <c>included</c>: its type varies, so attributes stay as JSON.</summary>
public sealed class IncludedResource
{
    public string Type { get; set; } = "";
    public string? Id { get; set; }
    public JsonObject? Attributes { get; set; }
    public Dictionary<string, Relationship>? Relationships { get; set; }
    public ResourceLinks? Links { get; set; }
}

/// <summary>Top-level <c>meta</c> of a response.</summary>
public sealed class DocumentMeta
{
    /// <summary>Twine's request id: quote it when asking Twine support about a call.</summary>
    public string? ReqId { get; set; }

    /// <summary>On collections: how many resources match in total (not only on this page).</summary>
    public int? Count { get; set; }

    /// <summary>On create with <c>ignore_duplicates</c>: what Twine skipped as duplicates.</summary>
    public List<string>? Ignored { get; set; }
}

/// <summary>Top-level <c>links</c> of a collection response.</summary>
public sealed class DocumentLinks
{
    public string? Self { get; set; }
    public string? First { get; set; }
    public string? Prev { get; set; }
    public string? Next { get; set; }
    public string? Last { get; set; }
}

/// <summary>What every response document has: top-level meta (req_id) and links.</summary>
public interface ITwineDocument
{
    DocumentMeta? Meta { get; }
    DocumentLinks? Links { get; }
}

/// <summary>A response document whose <c>data</c> is one resource.</summary>
public sealed class TwineResponse<TResource> : ITwineDocument
    where TResource : class
{
    public TResource? Data { get; set; }
    public List<IncludedResource>? Included { get; set; }
    public DocumentMeta? Meta { get; set; }
    public DocumentLinks? Links { get; set; }
}

/// <summary>A response document whose <c>data</c> is an array: one page of a collection.</summary>
public sealed class TwinePage<TResource> : ITwineDocument
    where TResource : class
{
    public List<TResource> Data { get; set; } = [];
    public List<IncludedResource>? Included { get; set; }
    public DocumentMeta? Meta { get; set; }
    public DocumentLinks? Links { get; set; }

    /// <summary>True when <c>links.next</c> points at another page.</summary>
    [JsonIgnore]
    public bool HasNextPage => !string.IsNullOrEmpty(Links?.Next);
}

/// <summary>A request document: <c>data</c> (one resource or an array) and optional <c>meta</c>.</summary>
public sealed class TwineRequest<TData>
    where TData : class
{
    public required TData Data { get; set; }
    public RequestMeta? Meta { get; set; }
}

public sealed class RequestMeta
{
    /// <summary>Skip resources that duplicate existing ones instead of failing (metrics: patient + type + occurred_at).</summary>
    public bool? IgnoreDuplicates { get; set; }
}

/// <summary>An identifier a resource carries (<c>identifiers</c> of actions).</summary>
public sealed class Identifier
{
    public string? Label { get; set; }
    public string System { get; set; } = "";
    public string Value { get; set; } = "";
}

/// <summary>The <c>type</c> names Twine uses.</summary>
public static class ResourceTypes
{
    public const string Token = "token";
    public const string Organization = "organization";
    public const string Group = "group";
    public const string Coach = "coach";
    public const string Action = "action";
    public const string Bundle = "bundle";
    public const string Plan = "patient_plan_summary";
    public const string CalendarEvent = "calendar_event";
    public const string EmailHistory = "email_history";
    public const string HealthProfile = "health_profile";
    public const string HealthProfileQuestion = "health_profile_question";
    public const string HealthProfileAnswer = "health_profile_answer";
    public const string HealthQuestionDefinition = "health_question_definition";
    public const string Patient = "patient";
    public const string PatientHealthMetric = "patient_health_metric";
}
