using CsCheck;
using Twine.Functions.CalendarEvents;

namespace Twine.Functions.Tests.Contract;

/// <summary>
/// Generates PUT /api/calendar-events/{externalId} bodies as raw JSON text: valid events of every type, and each
/// calendar rule broken (plan check-ins with an end, events across days, Windows or misspelt time zones, far-off
/// times, attendees of every shape, stray members, infinite numbers, deep nesting, a <c>meta.external_id</c> for
/// another event). Written from the spec's calendar rules.
/// </summary>
public static class CalendarDocumentGen
{
    public const string ExternalId = "visit-42";

    private static readonly Gen<string> EventType = Gen.Frequency(
        (10, Gen.OneOf(Gen.Const("\"plan-check-in\""), Gen.Const("\"reminder\""), Gen.Const("\"telephone-call\""), Gen.Const("\"office-visit\""), Gen.Const("\"video-call\""))),
        (1, Gen.OneOf(Gen.Const("\"meeting\""), Gen.Const("\"\""), Gen.Const("1"), Gen.Const("null"))));

    private static readonly Gen<string> Zone = Gen.Frequency(
        (10, Gen.OneOf(Gen.Const("\"America/New_York\""), Gen.Const("\"Europe/London\""), Gen.Const("\"UTC\""), Gen.Const("\"Pacific/Kiritimati\""), Gen.Const("\"Asia/Kolkata\""))),
        (3, Gen.OneOf(Gen.Const("\"Eastern Standard Time\""), Gen.Const("\"america/new_york\""), Gen.Const("\"Mars/Base\""), Gen.Const("\"\""), Gen.Const("\"+05:00\""), Gen.Const("7"))));

    /// <summary>A start and an end: the same day, across midnight, midnight to midnight, reversed, at the calendar's ends.</summary>
    private static readonly Gen<(string Start, string End)> Times = Gen.Frequency(
        (10, Gen.Select(Gen.Int[2000, 2099], Gen.Int[1, 12], Gen.Int[1, 28], Gen.Int[0, 20], Gen.Int[1, 3],
            (y, m, d, h, len) => ($"\"{y:D4}-{m:D2}-{d:D2}T{h:D2}:00:00Z\"", $"\"{y:D4}-{m:D2}-{d:D2}T{h + len:D2}:00:00Z\""))),
        (4, Gen.Select(Gen.Int[2000, 2099], Gen.Int[1, 12], Gen.Int[1, 27], (y, m, d) => ($"\"{y:D4}-{m:D2}-{d:D2}T00:00:00Z\"", $"\"{y:D4}-{m:D2}-{d + 1:D2}T00:00:00Z\""))),
        (2, Gen.Select(Gen.Int[2000, 2099], Gen.Int[1, 12], Gen.Int[1, 27], (y, m, d) => ($"\"{y:D4}-{m:D2}-{d:D2}T22:00:00Z\"", $"\"{y:D4}-{m:D2}-{d + 1:D2}T02:00:00Z\""))),
        (2, Gen.OneOf(Gen.Const(("\"9999-12-31T22:00:00-14:00\"", "\"9999-12-31T23:00:00-14:00\"")), Gen.Const(("\"0001-01-01T00:00:00+14:00\"", "\"0001-01-01T01:00:00+14:00\"")),
            Gen.Const(("\"2026-11-30T15:00:00Z\"", "\"2026-11-30T14:00:00Z\"")), Gen.Const(("\"2026-11-30\"", "\"2026-11-31T10:00:00Z\"")))));

    private static readonly Gen<string> Attendee = Gen.Frequency(
        (10, MetricsDocumentGen.Text.Select(user => $"{{\"user\":\"{user}\"}}")),
        (2, Gen.OneOf(Gen.Const("{\"user\":\"5a0c8e27a9d454cc150997c9\",\"response_status\":\"accepted\"}"), Gen.Const("{\"user\":\"x\",\"response_status\":\"maybe\"}"))),
        (1, Gen.OneOf(Gen.Const("{}"), Gen.Const("\"5a0c8e27a9d454cc150997c9\""), Gen.Const("null"))),
        (1, MetricsDocumentGen.Value.Select(v => $"{{\"user\":\"u\",\"extra\":{v}}}")));

    public static readonly Gen<string> Document =
        from type in EventType
        from zone in Gen.Frequency((4, Zone.Select(z => (string?)z)), (1, Gen.Const((string?)null)))
        from allDay in Gen.OneOf(Gen.Const("true"), Gen.Const("false"), Gen.Const("null"))
        from times in Times
        from withEnd in Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false)))
        from title in Gen.Frequency((10, MetricsDocumentGen.Text.Select(t => $"\"{t}\"")), (1, Gen.Const("\"\"")), (1, MetricsDocumentGen.Number))
        from description in Gen.Frequency((3, Gen.Const((string?)null)), (1, MetricsDocumentGen.Value.Select(v => (string?)v)))
        from attendees in Attendee.Array[0, 4]
        from owner in Gen.Frequency((10, Gen.Const("{\"data\":{\"type\":\"patient\",\"id\":\"5a0c8e27a9d454cc150997f7\"}}")), (1, Gen.Const("{\"data\":null}")))
        from meta in Gen.Frequency((10, Gen.Const($"{{\"external_id\":\"{ExternalId}\"}}")), (1, Gen.Const("{\"external_id\":\"visit-43\"}")), (1, Gen.Const("{}")),
            (1, Gen.Const($"{{\"external_id\":\"{ExternalId}\",\"version\":1e400}}")))
        from extra in Gen.Frequency((10, Gen.Const("")), (1, Gen.Const(",\"links\":{}")))
        select Build(type, zone, allDay, times, withEnd, title, description, attendees, owner, meta, extra);

    private static string Build(string type, string? zone, string allDay, (string Start, string End) times, bool withEnd, string title,
        string? description, string[] attendees, string owner, string meta, string extra)
    {
        var attributes = new List<string> { $"\"type\":{type}", $"\"title\":{title}", $"\"all_day\":{allDay}", $"\"start_at\":{times.Start}" };
        if (withEnd) attributes.Add($"\"end_at\":{times.End}");
        if (zone is not null) attributes.Add($"\"time_zone\":{zone}");
        if (description is not null) attributes.Add($"\"description\":{description}");
        attributes.Add($"\"attendees\":[{string.Join(",", attendees)}]");
        return $"{{\"meta\":{meta}{extra},\"data\":{{\"type\":\"calendar_event\",\"attributes\":{{{string.Join(",", attributes)}}},\"relationships\":{{\"owner\":{owner}}}}}}}";
    }
}
