using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Twine.Functions.CalendarEvents;

/// <summary>Writes version-1 calendar-event messages (docs/QUEUE-MESSAGES.md).</summary>
public static class CalendarEventMessageWriter
{
    public const string Upsert = "upsert";
    public const string Delete = "delete";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(string ingestionId, string operation, string externalId, JsonElement? data, CalendarWriteOrder? order = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteString("ingestionId", ingestionId);
            writer.WriteString("operation", operation);
            writer.WriteString("externalId", externalId);
            if (order is not null)
            {
                writer.WriteStartObject(CalendarWriteOrder.Member);
                writer.WriteNumber("signedAt", order.SignedAt);
                writer.WriteString("receivedAt", order.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            if (data is { } resource)
            {
                writer.WritePropertyName("data");
                resource.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
