using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// Writes calendar-event messages (docs/QUEUE-MESSAGES.md): version 1, or version 2 when the write carries the partner's
/// own version (<c>order.version</c> or <c>order.updatedAt</c>), so that a reader of version 1 refuses what it would
/// misorder instead of applying it by its signed time.
/// </summary>
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
            writer.WriteNumber("version", order?.Version is null ? 1 : 2);
            writer.WriteString("ingestionId", ingestionId);
            writer.WriteString("operation", operation);
            writer.WriteString("externalId", externalId);
            if (order is not null)
            {
                writer.WriteStartObject(CalendarWriteOrder.Member);
                writer.WriteNumber("signedAt", order.SignedAt);
                writer.WriteString("receivedAt", PartnerVersion.FormatTimestamp(order.ReceivedAt));
                if (order.Version?.Sequence is { } sequence)
                {
                    writer.WriteNumber(PartnerVersion.SequenceMember, sequence);
                }
                else if (order.Version?.UpdatedAt is { } updatedAt)
                {
                    writer.WriteString(PartnerVersion.UpdatedAtMessageMember, PartnerVersion.FormatTimestamp(updatedAt));
                }

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
