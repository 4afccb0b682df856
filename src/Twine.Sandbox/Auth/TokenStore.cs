using System.Security.Cryptography;

namespace Twine.Sandbox.Auth;

internal sealed record IssuedToken(string Id, string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt);

/// <summary>Client credentials and issued tokens. Expiry is measured with the injected TimeProvider.</summary>
internal sealed class TokenStore(TimeProvider time, TimeSpan lifetime, string clientId, string clientSecret)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IssuedToken> _byAccess = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IssuedToken> _byRefresh = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IssuedToken> _byId = new(StringComparer.Ordinal);
    private readonly string _initialId = clientId;
    private readonly string _initialSecret = clientSecret;
    private string _clientId = clientId;
    private string _clientSecret = clientSecret;

    public TimeSpan Lifetime => lifetime;

    public string ClientId
    {
        get { lock (_gate) { return _clientId; } }
    }

    public string ClientSecret
    {
        get { lock (_gate) { return _clientSecret; } }
    }

    public bool CredentialsMatch(string? id, string? secret)
    {
        lock (_gate)
        {
            return id == _clientId && secret == _clientSecret;
        }
    }

    public bool ClientIdMatches(string? id)
    {
        lock (_gate)
        {
            return id == _clientId;
        }
    }

    public void Rotate(string id, string secret)
    {
        lock (_gate)
        {
            _clientId = id;
            _clientSecret = secret;
        }
    }

    public IssuedToken Issue()
    {
        var token = new IssuedToken(
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            Guid.NewGuid().ToString(),
            Guid.NewGuid().ToString(),
            time.GetUtcNow() + lifetime);
        lock (_gate)
        {
            _byAccess[token.AccessToken] = token;
            _byRefresh[token.RefreshToken] = token;
            _byId[token.Id] = token;
        }

        return token;
    }

    /// <summary>Trades a refresh token for a new token; the old pair stops working.</summary>
    public IssuedToken? Refresh(string refreshToken)
    {
        lock (_gate)
        {
            if (!_byRefresh.Remove(refreshToken, out var old))
            {
                return null;
            }

            _byAccess.Remove(old.AccessToken);
            _byId.Remove(old.Id);
        }

        return Issue();
    }

    public IssuedToken? Validate(string accessToken)
    {
        lock (_gate)
        {
            return _byAccess.TryGetValue(accessToken, out var token) && time.GetUtcNow() < token.ExpiresAt ? token : null;
        }
    }

    public bool Exists(string tokenId)
    {
        lock (_gate)
        {
            return _byId.ContainsKey(tokenId);
        }
    }

    /// <summary>Access tokens stop working; refresh tokens still do (as after a real expiry).</summary>
    public void ExpireAll()
    {
        lock (_gate)
        {
            foreach (var token in _byAccess.Values.ToList())
            {
                var expired = token with { ExpiresAt = DateTimeOffset.MinValue };
                _byAccess[token.AccessToken] = expired;
                _byRefresh[token.RefreshToken] = expired;
                _byId[token.Id] = expired;
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _byAccess.Clear();
            _byRefresh.Clear();
            _byId.Clear();
            _clientId = _initialId;
            _clientSecret = _initialSecret;
        }
    }
}
