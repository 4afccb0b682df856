using System.Text.Json.Nodes;
using Twine.Sandbox.Auth;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>
/// What one request's token may reach. Credentials are scoped to one organization (the spec's overview): a resource of
/// another organization is 403 Forbidden when named (by id in the path, in a relationship, or by meta.query), and lists
/// never return it. Which organization a resource belongs to:
/// organization itself; group and coach by relationships.organization; patient by its groups; metrics, calendar events
/// (owner), health profiles and answers by their patient; health profile questions by their profile; email histories by
/// their receiver (else sender); actions and bundles by the organization that created them (the seed's ones belong to
/// the first organization). Health question definitions are a shared catalogue, visible to every organization.
/// </summary>
internal sealed class OrgScope
{
    /// <summary>Stored on actions and bundles (their plan is not served, so nothing else ties them to an organization); never rendered.</summary>
    public const string OrganizationMember = "_organization";

    private HashSet<string>? _patients;

    private OrgScope(SandboxState state, string organizationId)
    {
        State = state;
        OrganizationId = organizationId;
    }

    public SandboxState State { get; }

    /// <summary>The token's organization.</summary>
    public string OrganizationId { get; }

    /// <summary>The scope of the request's bearer token (set by the auth middleware).</summary>
    public static OrgScope Of(HttpContext context, SandboxState state) =>
        context.Items[Pipeline.TokenKey] is IssuedToken token
            ? new OrgScope(state, token.OrganizationId)
            : throw ApiException.Unauthorized();

    /// <summary>A resource by id: 404 if unknown, 403 if another organization's.</summary>
    public JsonObject Find(string type, string id)
    {
        var resource = Common.Find(State, type, id);
        return Owns(resource) ? resource : throw Forbidden(type, id);
    }

    /// <summary>Keeps the resources of the token's organization.</summary>
    public List<JsonObject> Visible(IEnumerable<JsonObject> resources) => resources.Where(Owns).ToList();

    public static ApiException Forbidden(string type, string id, string? pointer = null) =>
        new(new ApiError(403, "Forbidden", "Forbidden",
            $"The {type} '{id}' belongs to another organization; these credentials are scoped to their own organization", Pointer: pointer));

    public ApiException ForbiddenOrganization(string organizationId, string? pointer = null) =>
        new(new ApiError(403, "Forbidden", "Forbidden",
            $"Organization '{organizationId}' is not the organization these credentials are scoped to ('{OrganizationId}')", Pointer: pointer));

    /// <summary>Whether the resource belongs to the token's organization (see the class summary).</summary>
    public bool Owns(JsonObject resource)
    {
        var type = (string?)resource["type"];
        return type switch
        {
            "organization" => (string?)resource["id"] == OrganizationId,
            "group" or "coach" => Documents.RelatedId(resource, "organization") == OrganizationId,
            "patient" => Common.GroupsOf(resource).Any(GroupIsOurs),
            "patient_health_metric" or "health_profile" or "health_profile_answer" => PatientIsOurs(Documents.RelatedId(resource, "patient")),
            "calendar_event" => PatientIsOurs(Documents.RelatedId(resource, "owner")),
            "health_profile_question" => Documents.RelatedId(resource, "profile") is { } profile
                && State.Store.Peek("health_profile", profile) is { } p && Owns(p),
            "email_history" => Documents.RelatedId(resource, "receiver") is { } receiver
                ? PatientIsOurs(receiver)
                : Documents.RelatedId(resource, "sender") is { } sender && State.Store.Peek("coach", sender) is { } coach && Owns(coach),
            "action" or "bundle" => RequestBody.StringOrNull(resource[OrganizationMember]) == OrganizationId,
            _ => true,
        };
    }

    private bool GroupIsOurs(string groupId) =>
        State.Store.Peek("group", groupId) is { } group && Documents.RelatedId(group, "organization") == OrganizationId;

    private bool PatientIsOurs(string? patientId)
    {
        if (patientId is null)
        {
            return false;
        }

        // Lists ask this once per item: the organization's patients are collected once per request.
        _patients ??= State.Store.Snapshot("patient").Where(Owns).Select(p => (string)p["id"]!).ToHashSet(StringComparer.Ordinal);
        return _patients.Contains(patientId) || (State.Store.Peek("patient", patientId) is { } patient && Owns(patient));
    }

    /// <summary>A coach or patient named in a body (e.g. an attendee): 403 if it belongs to another organization.</summary>
    public void RequireOurs(string type, string id, string pointer)
    {
        if (State.Store.Peek(type, id) is { } resource && !Owns(resource))
        {
            throw Forbidden(type, id, pointer);
        }
    }
}
