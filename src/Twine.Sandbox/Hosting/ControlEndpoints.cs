using System.Text.Json.Nodes;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Hosting;

/// <summary>/_sandbox: the test controls over HTTP, for tools in other processes (docs/SANDBOX.md).</summary>
internal static class ControlEndpoints
{
    public static void Map(WebApplication app, SandboxState state)
    {
        var control = app.MapGroup("/_sandbox");
        control.MapPost("/reset", () =>
        {
            state.Reset();
            return Results.NoContent();
        });
        control.MapPost("/faults", async (HttpContext context) =>
        {
            var body = await RequestBody.ParseAsync(context) as JsonObject ?? throw ApiException.Body("", "body must be an object");
            var method = RequestBody.OptionalString(body, "method", "") ?? throw ApiException.Body("/method", "method is required");
            var route = RequestBody.OptionalString(body, "route", "") ?? throw ApiException.Body("/route", "route is required");
            var kindText = RequestBody.OptionalString(body, "kind", "") ?? throw ApiException.Body("/kind", "kind is required");
            if (!Enum.TryParse<FaultKind>(kindText, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            {
                throw ApiException.Body("/kind", "kind must be one of: " + string.Join(", ", Enum.GetNames<FaultKind>()));
            }

            var count = (int)(RequestBody.OptionalNumber(body, "count", "") ?? 1);
            if (count < 1)
            {
                throw ApiException.Body("/count", "count must be at least 1");
            }

            var retryAfter = RequestBody.OptionalNumber(body, "retryAfterSeconds", "");
            var delayMs = RequestBody.OptionalNumber(body, "delayMs", "");
            state.Faults.Add(method, route, kind, count,
                retryAfter is { } r ? TimeSpan.FromSeconds(r) : null,
                delayMs is { } d && d > 0 ? TimeSpan.FromMilliseconds(d) : null);
            return Results.NoContent();
        });
        control.MapDelete("/faults", () =>
        {
            state.Faults.Clear();
            return Results.NoContent();
        });
        control.MapGet("/requests", () =>
        {
            var counts = new JsonObject();
            foreach (var (key, value) in state.Requests.Snapshot())
            {
                counts[key] = value;
            }

            return Results.Content(counts.ToJsonString(), "application/json");
        });
        control.MapPost("/credentials", async (HttpContext context) =>
        {
            var body = await RequestBody.ParseAsync(context) as JsonObject ?? throw ApiException.Body("", "body must be an object");
            var id = RequestBody.RequiredString(body, "clientId", "");
            var secret = RequestBody.RequiredString(body, "clientSecret", "");
            state.Tokens.Rotate(id, secret);
            return Results.NoContent();
        });
        control.MapPost("/tokens/expire", () =>
        {
            state.Tokens.ExpireAll();
            return Results.NoContent();
        });
    }
}
