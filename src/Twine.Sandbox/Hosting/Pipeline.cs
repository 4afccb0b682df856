using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Twine.Sandbox.JsonApi;

namespace Twine.Sandbox.Hosting;

/// <summary>The middleware around the endpoints: errors, counting and faults, bearer auth.</summary>
internal static class Pipeline
{
    public const string TokenKey = "twine.token";

    /// <summary>Outermost: any failure becomes the spec's error shape; bad input never surfaces as a 500.</summary>
    public static async Task HandleErrors(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await JsonApiResult.WriteErrorsAsync(context, e.Errors, e.RetryAfter);
        }
        catch (Exception e) when (!context.Response.HasStarted && IsBadInput(e))
        {
            context.Response.Clear();
            var pointerOrParameter = context.Request.ContentLength > 0 || context.Request.Method is "POST" or "PATCH" or "PUT"
                ? ApiException.Body("", "The request could not be read: " + e.Message)
                : ApiException.Parameter("", "The request could not be read: " + e.Message);
            await JsonApiResult.WriteErrorsAsync(context, pointerOrParameter.Errors);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            context.Response.Clear();
            await JsonApiResult.WriteErrorsAsync(context,
                [new ApiError(500, "InternalServerError", "Internal server error", "The sandbox failed: " + e.GetType().Name)]);
        }
    }

    // Exceptions JsonNode and parsing throw on unexpected input shapes.
    private static bool IsBadInput(Exception e) =>
        e is JsonException or FormatException or InvalidCastException or InvalidOperationException or ArgumentException
            or BadHttpRequestException or KeyNotFoundException or OverflowException;

    /// <summary>After routing: count the request, then apply a pending fault for its route.</summary>
    public static async Task CountAndFault(HttpContext context, RequestDelegate next, SandboxState state)
    {
        if (!context.Request.Path.StartsWithSegments("/pub"))
        {
            await next(context);
            return;
        }

        // Count by the spec's path template; unmatched paths (the fallback) count by their own path.
        var route = context.GetEndpoint() is RouteEndpoint endpoint && endpoint.RoutePattern.RawText is { } raw && !raw.Contains("{*", StringComparison.Ordinal)
            ? raw
            : context.Request.Path.Value ?? "/";
        var key = RouteKey.Of(context.Request.Method, route);
        state.Requests.Increment(key);
        state.RequestStarted();
        try
        {
            await FaultOrNextAsync(context, next, state, key);
        }
        finally
        {
            state.RequestEnded();
        }
    }

    private static async Task FaultOrNextAsync(HttpContext context, RequestDelegate next, SandboxState state, string key)
    {
        var fault = state.Faults.Take(key);
        switch (fault?.Kind)
        {
            case null:
                break;
            case FaultKind.Delay:
                await Task.Delay(fault.Delay, context.RequestAborted);
                break;
            case FaultKind.DropConnection:
                context.Abort();
                return;
            case FaultKind.TooManyRequests:
                await JsonApiResult.WriteErrorsAsync(context,
                    [new ApiError(429, "TooManyRequests", "Too many requests", "Rate limit exceeded (injected fault)")], fault.RetryAfter);
                return;
            case FaultKind.InternalServerError:
                await JsonApiResult.WriteErrorsAsync(context,
                    [new ApiError(500, "InternalServerError", "Internal server error", "Injected fault")]);
                return;
            case FaultKind.ServiceUnavailable:
                await JsonApiResult.WriteErrorsAsync(context,
                    [new ApiError(503, "ServiceUnavailable", "Service unavailable", "Injected fault")]);
                return;
        }

        await next(context);
    }

    /// <summary>Every /pub route but POST /oauth/token needs a live bearer token.</summary>
    public static async Task RequireBearer(HttpContext context, RequestDelegate next, SandboxState state)
    {
        var path = context.Request.Path;
        var isTokenCreate = HttpMethods.IsPost(context.Request.Method)
            && (path.Equals("/pub/oauth/token", StringComparison.OrdinalIgnoreCase) || path.Equals("/pub/oauth/token/", StringComparison.OrdinalIgnoreCase));
        if (!path.StartsWithSegments("/pub") || isTokenCreate)
        {
            await next(context);
            return;
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.Unauthorized();
        }

        var token = state.Tokens.Validate(header[scheme.Length..].Trim()) ?? throw ApiException.Unauthorized("The bearer token is unknown or expired");
        context.Items[TokenKey] = token;
        await next(context);
    }

    /// <summary>Empty error answers from routing (404, 405) get the error shape too.</summary>
    public static async Task StatusCodePage(StatusCodeContext statusContext)
    {
        var context = statusContext.HttpContext;
        var status = context.Response.StatusCode;
        var error = status switch
        {
            404 => new ApiError(404, "ResourceNotFound", "Resource not found", $"No route for {context.Request.Method} {context.Request.Path}"),
            405 => new ApiError(405, "Forbidden", "Method not allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}"),
            _ => new ApiError(status, "InvalidParameter", "Request failed", $"Status {status}"),
        };
        await JsonApiResult.WriteErrorsAsync(context, [error]);
    }
}
