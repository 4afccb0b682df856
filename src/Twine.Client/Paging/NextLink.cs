using Twine.Client.Errors;

namespace Twine.Client.Paging;

/// <summary>Resolves <c>links.next</c> against the base address.</summary>
internal static class NextLink
{
    /// <summary>
    /// Twine writes next links absolute (<c>https://host/pub/x?..</c>), rooted (<c>/pub/x?..</c>, sometimes without
    /// <c>/pub</c>) or relative (<c>x?..</c>). All resolve under the base address, keeping its path (<c>/pub/</c>).
    /// A link to another host is refused: the bearer token must not travel there.
    /// </summary>
    public static Uri Resolve(Uri baseAddress, string next, string operation)
    {
        Uri resolved;
        if (next.StartsWith('/'))
        {
            // Checked before Uri.TryCreate: on Unix "/pub/x" parses as an absolute file URI.
            var basePath = baseAddress.AbsolutePath; // "/pub/"
            resolved = next.StartsWith(basePath, StringComparison.Ordinal) || next + "/" == basePath
                ? new Uri(baseAddress, next)
                : new Uri(baseAddress, next.TrimStart('/'));
        }
        else if (Uri.TryCreate(next, UriKind.Absolute, out var absolute))
        {
            resolved = absolute;
        }
        else
        {
            resolved = new Uri(baseAddress, next);
        }

        if (!string.Equals(resolved.Scheme, baseAddress.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(resolved.Authority, baseAddress.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new TwineApiException(operation, TwineFailureKind.InvalidResponse, null, null, null,
                new InvalidOperationException("links.next points outside the Twine base address."));
        }

        return resolved;
    }
}
