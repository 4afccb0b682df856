using System.Text.Json.Nodes;

namespace Twine.Sandbox.JsonApi;

/// <summary>
/// One error in the spec's shape. Handlers throw <see cref="ApiException"/> so validation reads
/// top-down; the error middleware turns it into the response.
/// </summary>
internal sealed record ApiError(int Status, string Code, string Title, string Detail, string? Pointer = null, string? Parameter = null)
{
    public JsonObject ToJson()
    {
        var error = new JsonObject
        {
            ["status"] = Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["code"] = Code,
            ["title"] = Title,
            ["detail"] = Detail,
        };
        if (Pointer is not null)
        {
            error["source"] = new JsonObject { ["pointer"] = Pointer };
        }
        else if (Parameter is not null)
        {
            error["source"] = new JsonObject { ["parameter"] = Parameter };
        }

        return error;
    }
}

internal sealed class ApiException(params ApiError[] errors) : Exception(errors.Length > 0 ? errors[0].Detail : "error")
{
    public IReadOnlyList<ApiError> Errors { get; } = errors;

    public int Status => Errors[0].Status;

    public TimeSpan? RetryAfter { get; init; }

    public static ApiException Body(string pointer, string detail) =>
        new(new ApiError(409, "InvalidBodyParameter", "Invalid body parameter", detail, Pointer: pointer));

    public static ApiException Parameter(string parameter, string detail) =>
        new(new ApiError(409, "InvalidParameter", "Invalid parameter", detail, Parameter: parameter));

    public static ApiException NotFound(string type, string id) =>
        new(new ApiError(404, "ResourceNotFound", "Resource not found", $"No {type} with id '{id}'", Parameter: "id"));

    public static ApiException Unauthorized(string detail = "A valid bearer token is required") =>
        new(new ApiError(401, "Unauthorized", "Unauthorized", detail));

    public static ApiException InvalidCredentials() =>
        new(new ApiError(401, "InvalidCredentials", "Invalid credentials", "The client id or client secret is not valid"));

    public static ApiException InvalidGrantType(string? grantType, string pointer = "/data/attributes/grant_type") =>
        new(new ApiError(409, "InvalidGrantType", "Invalid grant type",
            $"Grant type '{grantType}' is not supported; use client_credentials or refresh_token", Pointer: pointer));

    public static ApiException Forbidden(string detail) =>
        new(new ApiError(403, "Forbidden", "Forbidden", detail));
}
