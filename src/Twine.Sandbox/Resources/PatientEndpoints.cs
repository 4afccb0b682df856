using System.Text.Json;
using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Resources;

/// <summary>
/// patient: list, create (single or bulk), fetch, update, and its groups and coaches. Over 300 lines because each
/// operation's spec rules (identifier uniqueness per organization, meta.query groups, coach and group scoping) sit
/// beside its route, where a reader compares them with the spec; splitting per operation would scatter one resource.
/// </summary>
internal static class PatientEndpoints
{
    private static readonly string[] Genders = ["male", "female", "other"];
    private static readonly string[] PhoneTypes = ["home", "work", "mobile", "home-fax", "work-fax", "other"];

    // Written by the server only; ignored when a client sends them.
    private static readonly string[] ReadOnly =
        ["updated_at", "created_at", "first_access_at", "invited_at", "enrolled_at", "last_access_at", "archived", "archive_history", "statement"];

    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapGet("/patient", (HttpContext context, SandboxState state) =>
        {
            QueryFilters.Allow(context,
                ["filter[groups]", "filter[organization]", "filter[identifier][system]", "filter[identifier][value]", "filter[archived]", "filter[created_at]", "filter[updated_at]"]);
            var scope = Common.PatientScope(context, OrgScope.Of(context, state), patientFilter: false) ?? throw Common.ScopeRequired("filter[groups]", "filter[organization]");
            var system = QueryFilters.Text(context, "filter[identifier][system]");
            var value = QueryFilters.Text(context, "filter[identifier][value]");
            if ((system is null) != (value is null))
            {
                throw ApiException.Parameter(system is null ? "filter[identifier][system]" : "filter[identifier][value]",
                    "filter[identifier][system] and filter[identifier][value] go together");
            }

            var archived = QueryFilters.Bool(context, "filter[archived]");
            var created = QueryFilters.Range(context, "filter[created_at]");
            var updated = QueryFilters.Range(context, "filter[updated_at]");
            var patients = state.Store.Snapshot("patient")
                .Where(p => scope.Contains((string)p["id"]!))
                .Where(p => system is null || References.HasIdentifier(p, system, value!))
                .Where(p => archived is null || (p["attributes"]?["archived"]?.GetValueKind() == JsonValueKind.True) == archived)
                .Where(p => created is null || created.Value.Contains(Dates.Read(p["attributes"]?["created_at"])))
                .Where(p => updated is null || updated.Value.Contains(Dates.Read(p["attributes"]?["updated_at"])))
                .ToList();
            return Common.Ok(Paging.Page(context, patients, PagingRules.Standard));
        });

        pub.MapPost("/patient", async (HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            var root = await RequestBody.ReadJsonApiAsync(context) as JsonObject ?? throw ApiException.Body("", "body must be an object");
            var ignoreDuplicates = root["meta"] is JsonObject meta && RequestBody.OptionalBool(meta, "ignore_duplicates", "/meta") == true;
            var (items, bulk) = Bulk.Items(root);
            var ignored = new JsonArray();
            List<JsonObject> created;

            // Identifier uniqueness and groups found-or-created by meta.query hold within the organization: checked and
            // written under its gate. Groups a meta.query creates are stored only if every patient is valid, and before
            // the patients (a reader never meets a patient whose group is missing).
            lock (state.OrganizationGate(scope.OrganizationId))
            {
                var newGroups = new List<JsonObject>();
                created = NewPatients(scope, items, bulk, ignoreDuplicates, ignored, newGroups);
                state.Store.AddRange(newGroups);
                state.Store.AddRange(created);
            }

            return Common.Created(Bulk.Document(created, bulk, ignored, state, "patient"));
        });

        pub.MapGet("/patient/{id}", (string id, HttpContext context, SandboxState state) =>
            Common.Ok(Documents.Single(OrgScope.Of(context, state).Find("patient", id), new JsonArray())));

        pub.MapMethods("/patient/{id}", ["PATCH"], async (string id, HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            var root = await RequestBody.ReadJsonApiAsync(context);
            var data = RequestBody.Data(root, "patient", requireAttributes: false);
            Common.CheckSameId(data, id);
            // Another organization's patient is 403 before anything in the body is looked at.
            scope.Find("patient", id);
            JsonObject updated;

            // Every write of this organization's patients (and of groups by meta.query) happens under its gate, so this
            // read-check-write loses no concurrent update and the identifier rule holds.
            lock (state.OrganizationGate(scope.OrganizationId))
            {
                var stored = state.Store.Peek("patient", id) ?? throw ApiException.NotFound("patient", id);
                if (!scope.Owns(stored))
                {
                    throw OrgScope.Forbidden("patient", id);
                }

                var changes = data["attributes"] is null ? new JsonObject() : ValidAttributes(data, "/data", creating: false);
                if (DuplicateIdentifier(scope, changes, except: id, []) is { } dup)
                {
                    throw ApiException.Body($"/data/attributes/identifiers/{dup.Index}", "Another patient already has this identifier system and value");
                }

                var newGroups = new List<JsonObject>();
                var relationships = ValidRelationships(scope, data, "/data", creating: false, newGroups);
                var next = stored.DeepClone().AsObject();
                var attributes = next["attributes"] as JsonObject ?? new JsonObject();
                Common.Merge(attributes, changes);
                attributes["updated_at"] = state.Now();
                next["attributes"] = attributes;
                if (relationships.Count > 0)
                {
                    var current = next["relationships"] as JsonObject ?? new JsonObject();
                    Common.Merge(current, relationships);
                    next["relationships"] = current;
                }

                state.Store.AddRange(newGroups);
                state.Store.Replace(next);
                updated = next;
            }

            return Common.Ok(Documents.Single(updated, new JsonArray()));
        });

        pub.MapGet("/patient/{id}/groups", (string id, HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            var patient = scope.Find("patient", id);
            var groups = scope.Visible(Documents.RelatedIds(patient, "groups").Select(g => state.Store.Get("group", g)).OfType<JsonObject>());
            return Common.Ok(Paging.Page(context, groups, PagingRules.Unpaged));
        });

        pub.MapGet("/patient/{id}/coaches", (string id, HttpContext context, SandboxState state) =>
        {
            var scope = OrgScope.Of(context, state);
            var patient = scope.Find("patient", id);
            var coaches = scope.Visible(Documents.RelatedIds(patient, "coaches").Select(c => state.Store.Get("coach", c)).OfType<JsonObject>());
            var doc = Paging.Page(context, coaches, PagingRules.Unpaged);
            doc["included"] = new JsonArray();
            return Common.Ok(doc);
        });
    }

    /// <summary>Validates every item and builds the new patients; the caller stores them (all or none).</summary>
    private static List<JsonObject> NewPatients(OrgScope scope, List<JsonNode?> items, bool bulk, bool ignoreDuplicates, JsonArray ignored, List<JsonObject> newGroups)
    {
        var state = scope.State;
        var now = state.Now();
        var pending = new List<JsonObject>();
        for (var i = 0; i < items.Count; i++)
        {
            var pointer = bulk ? $"/data/{i}" : "/data";
            var data = items[i] as JsonObject ?? throw ApiException.Body(pointer, "must be a resource object");
            RequestBody.CheckType(data, "patient", pointer);
            var attributes = ValidAttributes(data, pointer, creating: true);
            if (DuplicateIdentifier(scope, attributes, except: null, pending) is { } dup)
            {
                if (ignoreDuplicates)
                {
                    ignored.Add(JsonValue.Create(dup.ExistingId));
                    continue;
                }

                throw ApiException.Body($"{pointer}/attributes/identifiers/{dup.Index}", "A patient with this identifier system and value already exists");
            }

            var relationships = ValidRelationships(scope, data, pointer, creating: true, newGroups);
            attributes["archived"] = false;
            attributes["archive_history"] = new JsonArray();
            foreach (var list in new[] { "identifiers", "phone_numbers", "addresses" })
            {
                attributes[list] ??= new JsonArray();
            }

            pending.Add(Common.NewResource("patient", attributes, relationships, now));
        }

        return pending;
    }

    /// <summary>Checks the attributes the spec types; returns the ones to store (read-only ones dropped).</summary>
    private static JsonObject ValidAttributes(JsonObject data, string pointer, bool creating)
    {
        if (data["attributes"] is not JsonObject given)
        {
            if (creating && data["attributes"] is null)
            {
                return new JsonObject();
            }

            throw ApiException.Body(pointer + "/attributes", "attributes must be an object");
        }

        var at = pointer + "/attributes";
        foreach (var name in new[] { "first_name", "last_name", "email_address", "note" })
        {
            RequestBody.OptionalString(given, name, at);
        }

        RequestBody.OptionalDate(given, "birth_date", at);
        RequestBody.OptionalEnum(given, "gender", at, Genders);
        if (given["email_address"] is not null && !(RequestBody.StringOrNull(given["email_address"]) ?? "").Contains('@'))
        {
            throw ApiException.Body(at + "/email_address", "email_address must be an email address");
        }

        CheckArray(given, "phone_numbers", at, (phone, p) =>
        {
            RequestBody.RequiredString(phone, "value", p);
            RequestBody.OptionalEnum(phone, "type", p, PhoneTypes);
            RequestBody.OptionalBool(phone, "primary", p);
        });
        CheckArray(given, "addresses", at, (address, p) =>
        {
            foreach (var name in new[] { "city", "state", "postal_code", "use", "type", "text", "district", "country" })
            {
                RequestBody.OptionalString(address, name, p);
            }
        });
        CheckArray(given, "identifiers", at, (identifier, p) =>
        {
            RequestBody.RequiredString(identifier, "system", p);
            RequestBody.RequiredString(identifier, "value", p);
            RequestBody.OptionalString(identifier, "label", p);
            RequestBody.OptionalBool(identifier, "unique", p);
        });

        var result = new JsonObject();
        foreach (var (key, value) in given)
        {
            if (!ReadOnly.Contains(key))
            {
                result[key] = value?.DeepClone();
            }
        }

        return result;
    }

    private static void CheckArray(JsonObject attributes, string name, string pointer, Action<JsonObject, string> check)
    {
        if (!attributes.TryGetPropertyValue(name, out var node) || node is null)
        {
            return;
        }

        if (node is not JsonArray array)
        {
            throw ApiException.Body($"{pointer}/{name}", $"{name} must be an array");
        }

        for (var i = 0; i < array.Count; i++)
        {
            check(array[i] as JsonObject ?? throw ApiException.Body($"{pointer}/{name}/{i}", "must be an object"), $"{pointer}/{name}/{i}");
        }
    }

    private static JsonObject ValidRelationships(OrgScope scope, JsonObject data, string pointer, bool creating, List<JsonObject> newGroups)
    {
        var state = scope.State;
        var result = new JsonObject();
        var relationships = data["relationships"];
        if (relationships is not null and not JsonObject)
        {
            throw ApiException.Body(pointer + "/relationships", "relationships must be an object");
        }

        var groupsNode = relationships?["groups"]?["data"];
        if (groupsNode is null)
        {
            if (creating)
            {
                throw ApiException.Body(pointer + "/relationships/groups", "a patient needs at least one group (relationships.groups.data)");
            }
        }
        else
        {
            if (groupsNode is not JsonArray groups || groups.Count == 0)
            {
                throw ApiException.Body(pointer + "/relationships/groups/data", "groups.data must be a non-empty array");
            }

            var ids = new List<string>();
            for (var i = 0; i < groups.Count; i++)
            {
                ids.Add(References.Group(scope, groups[i], $"{pointer}/relationships/groups/data/{i}", newGroups));
            }

            result["groups"] = Common.ToMany("group", ids.Distinct());
        }

        var coachesNode = relationships?["coaches"]?["data"];
        if (coachesNode is not null)
        {
            if (coachesNode is not JsonArray coaches)
            {
                throw ApiException.Body(pointer + "/relationships/coaches/data", "coaches.data must be an array");
            }

            var list = new JsonArray();
            for (var i = 0; i < coaches.Count; i++)
            {
                var p = $"{pointer}/relationships/coaches/data/{i}";
                var coach = coaches[i] as JsonObject ?? throw ApiException.Body(p, "must be a coach reference");
                RequestBody.CheckType(coach, "coach", p);
                var coachId = RequestBody.StringOrNull(coach["id"]) ?? throw ApiException.Body(p + "/id", "id is required");
                var stored = state.Store.Peek("coach", coachId) ?? throw ApiException.Body(p + "/id", $"No coach with id '{coachId}'");
                if (!scope.Owns(stored))
                {
                    throw OrgScope.Forbidden("coach", coachId, p + "/id");
                }

                var entry = Documents.Identifier("coach", coachId);
                if (coach["meta"] is JsonObject coachMeta)
                {
                    entry["meta"] = coachMeta.DeepClone();
                }

                list.Add(entry);
            }

            result["coaches"] = new JsonObject { ["data"] = list };
        }
        else if (creating)
        {
            result["coaches"] = new JsonObject { ["data"] = new JsonArray() };
        }

        return result;
    }

    private readonly record struct Duplicate(int Index, string ExistingId);

    /// <summary>
    /// Identifiers are unique (system + value) unless marked unique: false, among the token's organization's patients
    /// (the seed's two organizations share an identifier; another organization's patients are never reported).
    /// </summary>
    private static Duplicate? DuplicateIdentifier(OrgScope scope, JsonObject attributes, string? except, List<JsonObject> pending)
    {
        if (attributes["identifiers"] is not JsonArray identifiers)
        {
            return null;
        }

        var others = scope.State.Store.Snapshot("patient").Where(scope.Owns).Concat(pending).Where(p => (string?)p["id"] != except).ToList();
        for (var i = 0; i < identifiers.Count; i++)
        {
            var identifier = identifiers[i]!;
            if (identifier["unique"]?.GetValueKind() == JsonValueKind.False)
            {
                continue;
            }

            var system = RequestBody.StringOrNull(identifier["system"])!;
            var value = RequestBody.StringOrNull(identifier["value"])!;
            var existing = others.FirstOrDefault(p => References.HasIdentifier(p, system, value));
            if (existing is not null)
            {
                return new Duplicate(i, (string)existing["id"]!);
            }
        }

        return null;
    }
}
