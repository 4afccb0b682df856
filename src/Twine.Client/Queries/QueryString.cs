using System.Globalization;
using System.Text;

namespace Twine.Client.Queries;

/// <summary>Builds an escaped query string; parameters without a value are left out.</summary>
internal sealed class QueryString
{
    private readonly StringBuilder _builder = new();

    public QueryString Add(string name, string? value)
    {
        if (value is null)
        {
            return this;
        }

        _builder.Append(_builder.Length == 0 ? '?' : '&')
            .Append(Uri.EscapeDataString(name))
            .Append('=')
            .Append(Uri.EscapeDataString(value));
        return this;
    }

    public QueryString Add(string name, int? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

    public QueryString Add(string name, bool? value) => Add(name, value is null ? null : value.Value ? "true" : "false");

    public QueryString Add(string name, DateRange? value) => Add(name, value?.ToString());

    /// <summary>Comma-separated, as Twine takes lists of ids and include paths.</summary>
    public QueryString Add(string name, IReadOnlyCollection<string>? values) =>
        Add(name, values is null || values.Count == 0 ? null : string.Join(',', values));

    public override string ToString() => _builder.ToString();
}
