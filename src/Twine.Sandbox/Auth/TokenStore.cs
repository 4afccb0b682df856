using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Twine.Sandbox.Auth;

/// <summary>An issued token: which client (slot) it was issued to and the organization its credentials are scoped to.</summary>
internal sealed record IssuedToken(string Id, string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt, int Client, string OrganizationId);

/// <summary>One client's credentials, scoped to one organization (the spec: "client credentials will be scoped to the organization").</summary>
internal sealed record ClientCredentials(string Id, string Secret, string OrganizationId);

/// <summary>
/// Client credentials (one pair per organization) and issued tokens. Client 0 is the default client (rotatable);
/// expiry is measured with the injected TimeProvider. Every request validates its token here, so reads take no lock:
/// tokens sit in concurrent dictionaries and the credentials in an array that is replaced, never changed.
/// </summary>
internal sealed class TokenStore
{
    private readonly Lock _writeGate = new();
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, IssuedToken> _byAccess = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedToken> _byRefresh = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedToken> _byId = new(StringComparer.Ordinal);
    private readonly ClientCredentials[] _initial;
    private ClientCredentials[] _clients;

    public TokenStore(TimeProvider time, TimeSpan lifetime, IReadOnlyList<ClientCredentials> clients)
    {
        if (clients.Count == 0)
        {
            throw new ArgumentException("at least one client is required", nameof(clients));
        }

        _time = time;
        Lifetime = lifetime;
        _initial = [.. clients];
        _clients = [.. clients];
    }

    public TimeSpan Lifetime { get; }

    /// <summary>The default client's id (client 0).</summary>
    public string ClientId => Client(0).Id;

    /// <summary>The default client's secret (client 0).</summary>
    public string ClientSecret => Client(0).Secret;

    public int ClientCount => _initial.Length;

    private ClientCredentials[] Clients => Volatile.Read(ref _clients);

    public ClientCredentials Client(int index) => Clients[index];

    /// <summary>The client the pair belongs to, or null.</summary>
    public int? Authenticate(string? id, string? secret)
    {
        var index = Array.FindIndex(Clients, c => c.Id == id && c.Secret == secret);
        return index < 0 ? null : index;
    }

    /// <summary>The client with that id, or null.</summary>
    public int? FindClient(string? id)
    {
        var index = Array.FindIndex(Clients, c => c.Id == id);
        return index < 0 ? null : index;
    }

    /// <summary>New credentials for the default client (its organization stays the same).</summary>
    public void Rotate(string id, string secret)
    {
        lock (_writeGate)
        {
            var clients = Clients.ToArray();
            clients[0] = clients[0] with { Id = id, Secret = secret };
            Volatile.Write(ref _clients, clients);
        }
    }

    public IssuedToken Issue(int client)
    {
        var token = new IssuedToken(
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            Guid.NewGuid().ToString(),
            Guid.NewGuid().ToString(),
            _time.GetUtcNow() + Lifetime,
            client,
            Client(client).OrganizationId);

        // The refresh and id entries first: a token that validates can always be found and refreshed.
        _byRefresh[token.RefreshToken] = token;
        _byId[token.Id] = token;
        _byAccess[token.AccessToken] = token;
        return token;
    }

    /// <summary>
    /// Trades a refresh token issued to <paramref name="client"/> for a new token; the old pair stops working. Of two
    /// requests racing with one refresh token, one wins (the removal is the claim) and the other gets null.
    /// </summary>
    public IssuedToken? Refresh(string refreshToken, int client)
    {
        if (!_byRefresh.TryGetValue(refreshToken, out var issued) || issued.Client != client
            || !_byRefresh.TryRemove(refreshToken, out var old))
        {
            return null;
        }

        _byAccess.TryRemove(old.AccessToken, out _);
        _byId.TryRemove(old.Id, out _);
        return Issue(client);
    }

    public IssuedToken? Validate(string accessToken) =>
        _byAccess.TryGetValue(accessToken, out var token) && _time.GetUtcNow() < token.ExpiresAt ? token : null;

    /// <summary>The token with that id (expired or not), or null.</summary>
    public IssuedToken? Find(string tokenId) => _byId.GetValueOrDefault(tokenId);

    /// <summary>Access tokens stop working; refresh tokens still do (as after a real expiry).</summary>
    public void ExpireAll()
    {
        lock (_writeGate)
        {
            foreach (var token in _byAccess.Values)
            {
                var expired = token with { ExpiresAt = DateTimeOffset.MinValue };
                _byAccess[token.AccessToken] = expired;
                if (_byRefresh.ContainsKey(token.RefreshToken))
                {
                    _byRefresh[token.RefreshToken] = expired;
                }

                _byId[token.Id] = expired;
            }
        }
    }

    public void Reset()
    {
        lock (_writeGate)
        {
            _byAccess.Clear();
            _byRefresh.Clear();
            _byId.Clear();
            Volatile.Write(ref _clients, [.. _initial]);
        }
    }
}
