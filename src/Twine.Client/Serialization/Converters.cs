using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Twine.Client.Models;

namespace Twine.Client.Serialization;

/// <summary>Writes a set <see cref="Settable{T}"/> as its value (null included); unset ones are skipped by the property's ignore condition.</summary>
public sealed class SettableJsonConverter<T> : JsonConverter<Settable<T>>
{
    public override bool HandleNull => true;

    public override Settable<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return Settable<T>.Null;
        }

        var info = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        return new Settable<T>(JsonSerializer.Deserialize(ref reader, info)!);
    }

    public override void Write(Utf8JsonWriter writer, Settable<T> value, JsonSerializerOptions options)
    {
        if (value.Value is null)
        {
            writer.WriteNullValue();
            return;
        }

        var info = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        JsonSerializer.Serialize(writer, value.Value, info);
    }
}

/// <summary>Reads resource linkage as an object or an array, and writes it back in the shape it has.</summary>
public sealed class ResourceLinkageConverter : JsonConverter<ResourceLinkage>
{
    public override ResourceLinkage? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartArray:
                var many = JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<List<ResourceIdentifier>>)options.GetTypeInfo(typeof(List<ResourceIdentifier>)));
                return ResourceLinkage.Many(many ?? []);
            case JsonTokenType.StartObject:
                var one = JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<ResourceIdentifier>)options.GetTypeInfo(typeof(ResourceIdentifier)));
                return one is null ? null : ResourceLinkage.One(one);
            default:
                throw new JsonException("Relationship data must be an object, an array or null.");
        }
    }

    public override void Write(Utf8JsonWriter writer, ResourceLinkage value, JsonSerializerOptions options)
    {
        if (value.IsMany)
        {
            JsonSerializer.Serialize(writer, value.Items.ToList(), (JsonTypeInfo<List<ResourceIdentifier>>)options.GetTypeInfo(typeof(List<ResourceIdentifier>)));
        }
        else
        {
            JsonSerializer.Serialize(writer, value.Items[0], (JsonTypeInfo<ResourceIdentifier>)options.GetTypeInfo(typeof(ResourceIdentifier)));
        }
    }
}
