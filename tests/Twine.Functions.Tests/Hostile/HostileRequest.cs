using System.Globalization;
using System.Text;

namespace Twine.Functions.Tests.Hostile;

/// <summary>
/// One request file of the hostile-input corpus (format in tests/Twine.Functions.Tests/HostileInputs/README.md):
/// directives (@expect, @category, @repeat, @bytes, @unsigned, @sign-*, @content-length), the request line, header
/// lines, a blank line, then the body.
/// </summary>
public sealed class HostileRequest
{
    public const string FolderName = "HostileInputs";
    public const string Extension = ".req";

    public required string Name { get; init; }
    public required string Method { get; init; }

    /// <summary>The path as written (percent-encoded), without the query.</summary>
    public required string RawPath { get; init; }

    /// <summary>The query string as written, with its leading '?', or empty.</summary>
    public required string RawQuery { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }
    public required byte[] Body { get; init; }
    public required string Expect { get; init; }
    public required string Category { get; init; }

    /// <summary>No automatic Standard Webhooks signature (the file tests a missing or broken one).</summary>
    public bool Unsigned { get; init; }
    public long? SignOffsetSeconds { get; init; }
    public string? SignSecret { get; init; }
    public string? SignId { get; init; }

    /// <summary>Sign these bytes instead of the body: a signature captured from another request, replayed over this body.</summary>
    public byte[]? SignBody { get; init; }

    /// <summary>null: the body's length; "none": no Content-Length; else the declared (possibly false) length.</summary>
    public string? ContentLength { get; init; }

    public bool HasWebhookHeaders => Headers.Any(h => h.Key.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase));
    public bool IsWrite => Method is "POST" or "PUT" or "DELETE";

    public static string Root => Path.Combine(AppContext.BaseDirectory, FolderName);

    /// <summary>Every request file, as a path relative to the corpus folder with '/' separators, sorted.</summary>
    public static IReadOnlyList<string> All() =>
        [.. Directory.EnumerateFiles(Root, "*" + Extension, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    public static HostileRequest Load(string name) => Parse(name, File.ReadAllBytes(Path.Combine(Root, name)));

    public static HostileRequest Parse(string name, byte[] file)
    {
        // The head (everything before the first blank line after the request line) is ASCII/UTF-8 text.
        var position = 0;
        string? requestLine = null;
        var headers = new List<KeyValuePair<string, string>>();
        var repeats = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string? expect = null, category = null, contentLength = null, signSecret = null, signId = null;
        byte[]? signBody = null;
        long? signOffset = null;
        bool unsigned = false, bytes = false;
        while (true)
        {
            if (position >= file.Length)
            {
                if (requestLine is null)
                {
                    throw new FormatException($"{name}: no request line.");
                }

                break;
            }

            var end = Array.IndexOf(file, (byte)'\n', position);
            var lineEnd = end < 0 ? file.Length : end;
            var line = Encoding.UTF8.GetString(file, position, lineEnd - position).TrimEnd('\r');
            position = end < 0 ? file.Length : end + 1;

            if (requestLine is null)
            {
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                if (line.StartsWith('@'))
                {
                    var space = line.IndexOf(' ', StringComparison.Ordinal);
                    var directive = space < 0 ? line : line[..space];
                    var argument = space < 0 ? "" : line[(space + 1)..];
                    switch (directive)
                    {
                        case "@expect": expect = argument.Trim(); break;
                        case "@category": category = argument.Trim(); break;
                        case "@unsigned": unsigned = true; break;
                        case "@bytes": bytes = true; break;
                        case "@content-length": contentLength = argument.Trim(); break;
                        case "@sign-offset": signOffset = long.Parse(argument.Trim(), CultureInfo.InvariantCulture); break;
                        case "@sign-secret": signSecret = argument.Trim(); break;
                        case "@sign-id": signId = Unescape(argument); break;
                        case "@sign-body": signBody = UnescapeBytes(argument); break;
                        case "@repeat":
                            {
                                // @repeat NAME COUNT TEXT  (TEXT with \xHH, \n, \r, \t, \\ escapes)
                                var parts = argument.Split(' ', 3);
                                var count = int.Parse(parts[1], CultureInfo.InvariantCulture);
                                var unit = UnescapeBytes(parts.Length > 2 ? parts[2] : "");
                                var all = new byte[unit.Length * count];
                                for (var i = 0; i < count; i++)
                                {
                                    unit.CopyTo(all, i * unit.Length);
                                }

                                repeats[parts[0]] = all;
                                break;
                            }

                        default: throw new FormatException($"{name}: unknown directive {directive}.");
                    }

                    continue;
                }

                requestLine = line;
                continue;
            }

            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"{name}: header line without a name: {line}");
            }

            headers.Add(new(line[..colon].Trim(), Unescape(line[(colon + 1)..].TrimStart(' '))));
        }

        var body = file.AsSpan(position).ToArray();
        if (body.Length > 0 && body[^1] == (byte)'\n')
        {
            // Files end with a newline; it is not part of the body (write \x0a with @bytes to send one).
            body = body[..^(body.Length > 1 && body[^2] == (byte)'\r' ? 2 : 1)];
        }

        if (bytes)
        {
            body = UnescapeBytes(Encoding.Latin1.GetString(body), latin1: true);
        }

        body = Expand(body, repeats);

        var request = requestLine!.Split(' ', 2);
        if (request.Length != 2 || expect is null || category is null)
        {
            throw new FormatException($"{name}: needs @expect, @category and a request line 'METHOD /path'.");
        }

        var target = request[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        return new HostileRequest
        {
            Name = name,
            Method = request[0],
            RawPath = question < 0 ? target : target[..question],
            RawQuery = question < 0 ? "" : target[question..],
            Headers = headers,
            Body = body,
            Expect = expect,
            Category = category,
            Unsigned = unsigned,
            SignOffsetSeconds = signOffset,
            SignSecret = signSecret,
            SignId = signId,
            SignBody = signBody,
            ContentLength = contentLength,
        };
    }

    /// <summary>Replaces each @@NAME@@ in the body by the bytes of its @repeat directive.</summary>
    private static byte[] Expand(byte[] body, Dictionary<string, byte[]> repeats)
    {
        if (repeats.Count == 0)
        {
            return body;
        }

        using var output = new MemoryStream(body.Length);
        var i = 0;
        while (i < body.Length)
        {
            if (i + 1 < body.Length && body[i] == '@' && body[i + 1] == '@')
            {
                var close = body.AsSpan(i + 2).IndexOf("@@"u8);
                if (close > 0)
                {
                    var macro = Encoding.ASCII.GetString(body, i + 2, close);
                    if (repeats.TryGetValue(macro, out var expansion))
                    {
                        output.Write(expansion);
                        i += close + 4;
                        continue;
                    }
                }
            }

            output.WriteByte(body[i++]);
        }

        return output.ToArray();
    }

    /// <summary>Header values and directive texts: \xHH, \r, \n, \t and \\ escapes, as UTF-16 characters (\xHH is U+00HH).</summary>
    public static string Unescape(string text) => Encoding.Latin1.GetString(UnescapeBytes(text, latin1: true));

    /// <summary>\xHH becomes the byte HH; \r \n \t \\ their characters; other text is UTF-8 (or Latin-1 when the input already holds bytes).</summary>
    private static byte[] UnescapeBytes(string text, bool latin1 = false)
    {
        var encoding = latin1 ? Encoding.Latin1 : Encoding.UTF8;
        using var output = new MemoryStream();
        var literal = new StringBuilder();
        void Flush()
        {
            output.Write(encoding.GetBytes(literal.ToString()));
            literal.Clear();
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                var next = text[i + 1];
                if (next == 'x' && i + 3 < text.Length && Uri.IsHexDigit(text[i + 2]) && Uri.IsHexDigit(text[i + 3]))
                {
                    Flush();
                    output.WriteByte(byte.Parse(text.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 3;
                    continue;
                }

                if (!latin1 && next is 'r' or 'n' or 't' or '\\')
                {
                    literal.Append(next switch { 'r' => '\r', 'n' => '\n', 't' => '\t', _ => '\\' });
                    i++;
                    continue;
                }
            }

            literal.Append(text[i]);
        }

        Flush();
        return output.ToArray();
    }
}
