using System.Collections.Concurrent;
using Twine.Client;
using Twine.Client.Errors;
using Twine.Client.Queries;

namespace Twine.Functions.Fhir;

/// <summary>
/// An Appointment's patient, named by identifier, to the Twine patient id a calendar event's owner needs: found with
/// Twine's patient query (filter by identifier and organization) and cached for <see cref="CacheTimeToLive"/> (an
/// identifier keeps its patient; a patient not found is not cached, so one created meanwhile is found next time).
/// </summary>
public sealed class FhirPatientResolver(ITwineClient twine, TimeProvider time)
{
    public static readonly TimeSpan CacheTimeToLive = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<(string System, string Value, string Organization), (string Id, DateTimeOffset Until)> _cache = new();

    /// <returns>The Twine patient id, or null when Twine has no patient with that identifier in the organization.</returns>
    /// <exception cref="TwineApiException">Twine could not be asked (the caller answers 503).</exception>
    public async Task<string?> ResolveAsync(FhirPatientIdentifier identifier, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var key = (identifier.System, identifier.Value, identifier.Organization);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Id;
        }

        var page = await twine.FetchPatientsAsync(new PatientQuery
        {
            Organization = identifier.Organization,
            IdentifierSystem = identifier.System,
            IdentifierValue = identifier.Value,
            PageSize = 2,
        }, cancellationToken).ConfigureAwait(false);
        if (page.Data.Count != 1 || page.Data[0].Id is not { } id)
        {
            return null; // none, or more than one: not guessed
        }

        _cache[key] = (id, now + CacheTimeToLive);
        return id;
    }
}
