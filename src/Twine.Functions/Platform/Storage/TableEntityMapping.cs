using System.Collections.Concurrent;
using System.Reflection;
using Azure;
using Azure.Data.Tables;

namespace Twine.Functions.Platform.Storage;

/// <summary>
/// Turns an untyped <see cref="TableEntity"/> into a typed entity, for a query whose rows are of more than one type (an
/// ingestion's partition holds its row and its outcome rows; one query reads both). The SDK's own conversion is
/// internal; this one covers the property types the app's entities use and leaves a missing or differently typed
/// column at its default, as the SDK does.
/// </summary>
public static class TableEntityMapping
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    public static T To<T>(TableEntity source) where T : ITableEntity, new()
    {
        var target = new T
        {
            PartitionKey = source.PartitionKey,
            RowKey = source.RowKey,
            Timestamp = source.Timestamp,
            ETag = source.ETag,
        };
        foreach (var property in Properties.GetOrAdd(typeof(T), Writable))
        {
            if (source.TryGetValue(property.Name, out var value) && value is not null && Convert(value, property.PropertyType) is { } converted)
            {
                property.SetValue(target, converted);
            }
        }

        return target;
    }

    private static PropertyInfo[] Writable(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name is not (nameof(ITableEntity.PartitionKey) or nameof(ITableEntity.RowKey) or nameof(ITableEntity.Timestamp) or nameof(ITableEntity.ETag)))];

    private static object? Convert(object value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        return (target, value) switch
        {
            _ when target.IsInstanceOfType(value) => value,
            (var t, DateTime d) when t == typeof(DateTimeOffset) => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            (var t, int i) when t == typeof(long) => (long)i,
            (var t, long l) when t == typeof(int) && l is >= int.MinValue and <= int.MaxValue => (int)l,
            (var t, BinaryData b) when t == typeof(byte[]) => b.ToArray(),
            (var t, string s) when t == typeof(ETag) => new ETag(s),
            _ => null,
        };
    }
}
