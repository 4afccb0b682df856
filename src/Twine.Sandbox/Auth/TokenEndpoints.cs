using System.Text.Json.Nodes;
using Twine.Sandbox.Hosting;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Auth;

/// <summary>POST /oauth/token and the token's groups and organization.</summary>
internal static class TokenEndpoints
{
    public static void Map(RouteGroupBuilder pub)
    {
        pub.MapPost("/oauth/token", CreateToken);
        pub.MapGet("/oauth/token/{id}/groups", (string id, HttpContext context, SandboxState state) =>
        {
            var token = RequireToken(context, state, id);
            var groups = OrganizationGroups(state, token.OrganizationId);
            var data = new JsonArray(groups.Select(g => (JsonNode)Documents.Render(g)).ToArray());
            return new JsonApiResult(200, new JsonObject
            {
                ["meta"] = new JsonObject { ["count"] = groups.Count },
                ["links"] = new JsonObject { ["self"] = $"/pub/oauth/token/{id}/groups" },
                ["data"] = data,
            });
        });
        pub.MapGet("/oauth/token/{id}/organization", (string id, HttpContext context, SandboxState state) =>
        {
            var token = RequireToken(context, state, id);
            return new JsonApiResult(200, Documents.Single(Organization(state, token.OrganizationId)));
        });
    }

    /// <summary>The token named in the path: 404 if unknown, 403 if it was issued for another organization.</summary>
    private static IssuedToken RequireToken(HttpContext context, SandboxState state, string id)
    {
        var token = state.Tokens.Find(id) ?? throw ApiException.NotFound("token", id);
        var caller = Resources.OrgScope.Of(context, state);
        return token.OrganizationId == caller.OrganizationId ? token : throw Resources.OrgScope.Forbidden("token", id);
    }

    internal static JsonObject Organization(SandboxState state, string organizationId) =>
        state.Store.Get("organization", organizationId) ?? throw new InvalidOperationException($"organization {organizationId} is not in the store");

    /// <summary>Credentials are scoped to one organization: the token reaches that organization's groups.</summary>
    private static List<JsonObject> OrganizationGroups(SandboxState state, string organizationId) =>
        state.Store.Snapshot("group").Where(g => Documents.RelatedId(g, "organization") == organizationId).ToList();

    private static async Task<IResult> CreateToken(HttpContext context, SandboxState state)
    {
        JsonObject fields;
        string pointer;
        if (RequestBody.IsJsonApi(context.Request))
        {
            var root = await RequestBody.ParseAsync(context);
            if (root is not JsonObject doc || doc["data"] is not JsonObject data)
            {
                throw ApiException.Body("/data", "data must be an object");
            }

            // The spec's schema says "token"; its own example sends "oauth/token". Accept both.
            var type = RequestBody.StringOrNull(data["type"]);
            if (type is not null and not "token" and not "oauth/token")
            {
                throw ApiException.Body("/data/type", "type must be 'token'");
            }

            fields = data["attributes"] as JsonObject ?? throw ApiException.Body("/data/attributes", "attributes must be an object");
            pointer = "/data/attributes";
        }
        else if (RequestBody.MediaTypeIs(context.Request, "application/json"))
        {
            // Older OAuth clients: the three fields at the top level.
            fields = await RequestBody.ParseAsync(context) as JsonObject ?? throw ApiException.Body("", "body must be an object");
            pointer = "";
        }
        else
        {
            throw ApiException.Forbidden("Content-Type must be application/vnd.api+json (or application/json)");
        }

        // Missing members are body problems (409 InvalidBodyParameter at the member), checked before the credentials:
        // CreateTokenRequest requires grant_type and client_id; client_secret is "required if grant_type is client_credentials".
        var grantType = RequestBody.OptionalString(fields, "grant_type", pointer) ?? throw ApiException.Body(pointer + "/grant_type", "grant_type is required");
        var clientId = RequestBody.OptionalString(fields, "client_id", pointer) ?? throw ApiException.Body(pointer + "/client_id", "client_id is required");
        IssuedToken token;
        switch (grantType)
        {
            case "client_credentials":
                var secret = RequestBody.OptionalString(fields, "client_secret", pointer)
                    ?? throw ApiException.Body(pointer + "/client_secret", "client_secret is required for the client_credentials grant");
                var client = state.Tokens.Authenticate(clientId, secret) ?? throw ApiException.InvalidCredentials();
                token = state.Tokens.Issue(client);
                break;
            case "refresh_token":
                var refresh = RequestBody.OptionalString(fields, "refresh_token", pointer)
                    ?? throw ApiException.Body(pointer + "/refresh_token", "refresh_token is required for the refresh_token grant");
                var refreshing = state.Tokens.FindClient(clientId) ?? throw ApiException.InvalidCredentials();
                token = state.Tokens.Refresh(refresh, refreshing) ?? throw ApiException.InvalidCredentials();
                break;
            default:
                throw ApiException.InvalidGrantType(grantType, pointer + "/grant_type");
        }

        return new JsonApiResult(201, Response(context, state, token));
    }

    private static JsonObject Response(HttpContext context, SandboxState state, IssuedToken token)
    {
        var organization = Organization(state, token.OrganizationId);
        var groups = OrganizationGroups(state, token.OrganizationId);
        var doc = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "token",
                ["id"] = token.Id,
                ["attributes"] = new JsonObject
                {
                    ["access_token"] = token.AccessToken,
                    ["refresh_token"] = token.RefreshToken,
                    ["token_type"] = "bearer",
                    ["expires_in"] = (long)state.Tokens.Lifetime.TotalSeconds,
                },
                ["relationships"] = new JsonObject
                {
                    ["groups"] = new JsonObject
                    {
                        ["data"] = new JsonArray(groups.Select(g => (JsonNode)Documents.Identifier("group", (string)g["id"]!)).ToArray()),
                        ["links"] = new JsonObject { ["related"] = $"/pub/oauth/token/{token.Id}/groups" },
                    },
                    ["organization"] = new JsonObject
                    {
                        ["data"] = Documents.Identifier("organization", (string)organization["id"]!),
                        ["links"] = new JsonObject { ["related"] = $"/pub/oauth/token/{token.Id}/organization" },
                    },
                },
            },
        };

        var include = Includes.Parse(context, "groups", "organization");
        if (include.Count > 0)
        {
            var included = new JsonArray();
            if (include.Contains("groups"))
            {
                foreach (var group in groups)
                {
                    included.Add(Documents.Render(group));
                }
            }

            if (include.Contains("organization"))
            {
                included.Add(Documents.Render(organization));
            }

            doc["included"] = included;
        }

        return doc;
    }
}
