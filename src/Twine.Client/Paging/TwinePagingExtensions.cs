using System.Runtime.CompilerServices;
using Twine.Client.Models;

namespace Twine.Client.Paging;

public static class TwinePagingExtensions
{
    /// <summary>Flattens pages into their resources, e.g. <c>client.FetchPatientsPagesAsync(q).ResourcesAsync()</c>.</summary>
    public static async IAsyncEnumerable<T> ResourcesAsync<T>(this IAsyncEnumerable<TwinePage<T>> pages, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(pages);
        await foreach (var page in pages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (var resource in page.Data)
            {
                yield return resource;
            }
        }
    }
}
