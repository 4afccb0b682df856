using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>Resolves relationship data given by id or by meta.query (the spec's two ways).</summary>
internal static class References
{
    /// <summary>
    /// A patient by {"type":"patient","id":..} or {"type":"patient","meta":{"query":{"identifier":{system,value},
    /// "organization":..,"groups":[..]}}}. The query must match exactly one patient of the token's organization; an id,
    /// organization or group of another organization is 403.
    /// </summary>
    public static string Patient(OrgScope scope, JsonNode? data, string pointer)
    {
        var state = scope.State;
        if (data is not JsonObject reference)
        {
            throw ApiException.Body(pointer, "a patient reference {\"type\":\"patient\",\"id\":...} is required");
        }

        RequestBody.CheckType(reference, "patient", pointer);
        var id = RequestBody.StringOrNull(reference["id"]);
        if (!string.IsNullOrEmpty(id))
        {
            var patient = state.Store.Get("patient", id) ?? throw ApiException.Body(pointer + "/id", $"No patient with id '{id}'");
            return scope.Owns(patient) ? id : throw OrgScope.Forbidden("patient", id, pointer + "/id");
        }

        var queryPointer = pointer + "/meta/query";
        if (reference["meta"]?["query"] is not JsonObject query)
        {
            throw ApiException.Body(pointer + "/id", "id (or meta.query) is required");
        }

        if (query["identifier"] is not JsonObject identifier)
        {
            throw ApiException.Body(queryPointer + "/identifier", "identifier {system, value} is required");
        }

        var system = RequestBody.RequiredString(identifier, "system", queryPointer + "/identifier");
        var value = RequestBody.RequiredString(identifier, "value", queryPointer + "/identifier");
        var organization = RequestBody.OptionalString(query, "organization", queryPointer);
        if (organization is not null && organization != scope.OrganizationId && state.Store.Exists("organization", organization))
        {
            throw scope.ForbiddenOrganization(organization, queryPointer + "/organization");
        }

        HashSet<string>? groups = null;
        if (query["groups"] is JsonArray groupArray)
        {
            groups = groupArray.Select(RequestBody.StringOrNull).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var index = 0;
            foreach (var groupId in groupArray.Select(RequestBody.StringOrNull))
            {
                if (groupId is not null && state.Store.Get("group", groupId) is { } group && !scope.Owns(group))
                {
                    throw OrgScope.Forbidden("group", groupId, $"{queryPointer}/groups/{index}");
                }

                index++;
            }
        }
        else if (query["groups"] is not null)
        {
            throw ApiException.Body(queryPointer + "/groups", "groups must be an array of group ids");
        }

        var matches = state.Store.Snapshot("patient")
            .Where(p => HasIdentifier(p, system, value))
            .Where(p => organization is null || Common.OrganizationsOf(state.Store, p).Contains(organization))
            .Where(p => groups is null || Common.GroupsOf(p).Overlaps(groups))
            .Where(scope.Owns) // a query sees only the token's organization
            .Select(p => (string)p["id"]!)
            .ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw ApiException.Body(queryPointer, "meta.query matches no patient"),
            _ => throw ApiException.Body(queryPointer, $"meta.query matches {matches.Count} patients; it must match exactly one"),
        };
    }

    public static bool HasIdentifier(JsonObject patient, string system, string value) =>
        patient["attributes"]?["identifiers"] is JsonArray identifiers
        && identifiers.Any(i => RequestBody.StringOrNull(i?["system"]) == system && RequestBody.StringOrNull(i?["value"]) == value);

    /// <summary>
    /// A group by id or by meta.query {organization, name}: no match creates the group in that organization,
    /// one match is used, several are a 409 (as CreatePatientRequest describes). A group or organization of another
    /// organization than the token's is 403. A group to create is added to <paramref name="newGroups"/> (and found there
    /// by later references of the same request); the caller stores them, under the organization's gate.
    /// </summary>
    public static string Group(OrgScope scope, JsonNode? data, string pointer, List<JsonObject> newGroups)
    {
        var state = scope.State;
        if (data is not JsonObject reference)
        {
            throw ApiException.Body(pointer, "a group reference {\"type\":\"group\",\"id\":...} is required");
        }

        RequestBody.CheckType(reference, "group", pointer);
        var id = RequestBody.StringOrNull(reference["id"]);
        if (!string.IsNullOrEmpty(id))
        {
            var named = state.Store.Peek("group", id) ?? throw ApiException.Body(pointer + "/id", $"No group with id '{id}'");
            return scope.Owns(named) ? id : throw OrgScope.Forbidden("group", id, pointer + "/id");
        }

        var queryPointer = pointer + "/meta/query";
        if (reference["meta"]?["query"] is not JsonObject query)
        {
            throw ApiException.Body(pointer + "/id", "id (or meta.query) is required");
        }

        var organization = RequestBody.RequiredString(query, "organization", queryPointer);
        var name = RequestBody.RequiredString(query, "name", queryPointer);
        if (!state.Store.Exists("organization", organization))
        {
            throw ApiException.Body(queryPointer + "/organization", $"No organization with id '{organization}'");
        }

        if (organization != scope.OrganizationId)
        {
            throw scope.ForbiddenOrganization(organization, queryPointer + "/organization");
        }

        var matches = state.Store.Snapshot("group").Concat(newGroups)
            .Where(g => Documents.RelatedId(g, "organization") == organization && Documents.Attr(g, "name") == name)
            .Select(g => (string)g["id"]!)
            .ToList();
        switch (matches.Count)
        {
            case 1:
                return matches[0];
            case > 1:
                throw ApiException.Body(queryPointer, $"meta.query matches {matches.Count} groups; it must match at most one");
        }

        var group = Common.NewResource("group", new JsonObject { ["name"] = name },
            new JsonObject { ["organization"] = Common.ToOne("organization", organization) }, state.Now());
        newGroups.Add(group);
        return (string)group["id"]!;
    }
}
