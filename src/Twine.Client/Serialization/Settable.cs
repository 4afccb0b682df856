namespace Twine.Client.Serialization;

/// <summary>
/// A value that is either not set (omitted from the JSON) or set, possibly to null (written as JSON null).
/// PATCH bodies need the difference: an omitted attribute is left alone, a null one is cleared.
/// </summary>
public readonly record struct Settable<T>
{
    public Settable(T value)
    {
        IsSet = true;
        Value = value;
    }

    public bool IsSet { get; }
    public T Value { get; }

    /// <summary>Set to null: written as JSON null.</summary>
    public static Settable<T> Null => new(default!);

    public static implicit operator Settable<T>(T value) => new(value);
}
