namespace Twine.Client.Models;

/// <summary>The token Twine issues (<c>POST /oauth/token</c>).</summary>
public sealed class TokenResource() : TwineResource<TokenAttributes, TokenRelationships>(ResourceTypes.Token);

public sealed class TokenAttributes
{
    public string? AccessToken { get; set; }
    public string? RefreshToken { get; set; }
    public string? TokenType { get; set; }

    /// <summary>Lifetime in seconds from issue.</summary>
    public int? ExpiresIn { get; set; }
}

public sealed class TokenRelationships
{
    public Relationship? Groups { get; set; }
    public Relationship? Organization { get; set; }
}

/// <summary>The JSON:API form of the token request.</summary>
public sealed class TokenRequestResource() : TwineResource<TokenRequestAttributes>(ResourceTypes.Token);

public sealed class TokenRequestAttributes
{
    public string GrantType { get; set; } = "client_credentials";
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? RefreshToken { get; set; }
}
