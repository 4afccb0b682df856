using System.Buffers;
using System.Text.Json;

namespace Twine.Functions.Ingestions.Queues;

/// <summary>
/// The optional retry members of a version-1 message (docs/QUEUE-MESSAGES.md): <c>attempt</c> (how many times the
/// message has been rescheduled after a transient failure) and <c>firstFailedAt</c> (when its first transient failure
/// happened). A reschedule copies every other member of the original verbatim (its raw JSON text), so members this
/// version does not know yet (e.g. a future write order) survive unchanged.
/// </summary>
public static class QueueRetryFields
{
    public const string Attempt = "attempt";
    public const string FirstFailedAt = "firstFailedAt";

    /// <summary>The highest attempt a message may carry (hourly retries for more than a year; the give-up age ends them far sooner).</summary>
    public const int MaxAttempt = 10_000;

    /// <summary>
    /// The bytes the two members can add to a message at most (comma, names, widest attempt and timestamp): the edge
    /// plans metrics messages with this much room (<see cref="MetricsMessageWriter"/>), so a reschedule always fits.
    /// </summary>
    public static readonly int MaxBytes = WidestMembers();

    /// <summary>The original message with <c>attempt</c> and <c>firstFailedAt</c> set; every other member copied as it was.</summary>
    public static byte[] WithRetry(JsonElement original, int attempt, DateTimeOffset firstFailedAt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(attempt, MaxAttempt);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var member in original.EnumerateObject())
            {
                if (member.NameEquals(Attempt) || member.NameEquals(FirstFailedAt))
                {
                    continue;
                }

                writer.WritePropertyName(member.Name);
                writer.WriteRawValue(member.Value.GetRawText(), skipInputValidation: true);
            }

            WriteMembers(writer, attempt, firstFailedAt);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMembers(Utf8JsonWriter writer, int attempt, DateTimeOffset firstFailedAt)
    {
        writer.WriteNumber(Attempt, attempt);
        writer.WriteString(FirstFailedAt, firstFailedAt.ToUniversalTime());
    }

    private static int WidestMembers()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("x", 0);
            WriteMembers(writer, MaxAttempt, new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999));
            writer.WriteEndObject();
        }

        return buffer.WrittenCount - """{"x":0}""".Length;
    }
}
