using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;

namespace Twine.Functions.Tests.Contract;

/// <summary>
/// The partner's version on a calendar PUT/DELETE (<c>meta.version</c>, <c>meta.updated_at</c>), generated: what the
/// edge accepts carries the same version through the queue message (version 2) to the processor's order; what it
/// refuses names the member; and the order key sorts exactly as the versions, signed times and receive times do.
/// Fixed and fresh seeds as <see cref="EdgeContractProperties"/>.
/// </summary>
public sealed class PartnerVersionProperties
{
    private const string IngestionId = "0193a5b2c3d47e8f9a0b1c2d3e4f5a6b";
    private static readonly DateTimeOffset SignedAt = new(2026, 3, 14, 9, 30, 0, TimeSpan.Zero);

    public static TheoryData<string> Seeds() => EdgeContractProperties.Seeds();

    /// <summary>Version texts: valid integers, boundaries, and what a strict reader must refuse.</summary>
    private static readonly Gen<string> VersionText = Gen.OneOf(
        Gen.Long[0, PartnerVersion.MaxSequence].Select(v => v.ToString(CultureInfo.InvariantCulture)),
        Gen.Const("0"), Gen.Const("999999999999999999"), Gen.Const("1000000000000000000"), Gen.Const("-1"), Gen.Const("1.0"),
        Gen.Const("1e3"), Gen.Const("01"), Gen.Const("\"5\""), Gen.Const("null"), Gen.Const("true"), Gen.Const("[1]"), Gen.Const("9223372036854775808"),
        Gen.Long.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>updated_at texts: instants around the signing time in several offsets and precisions, and malformed ones.</summary>
    private static readonly Gen<string> UpdatedAtText = Gen.OneOf(
        Gen.Select(Gen.Int[-100_000, 600], Gen.Int[-14, 14], Gen.Int[0, 2], (seconds, offsetHours, precision) =>
        {
            var at = SignedAt.AddSeconds(seconds).ToOffset(TimeSpan.FromHours(offsetHours));
            var format = precision switch { 0 => "yyyy-MM-dd'T'HH:mm:ss", 1 => "yyyy-MM-dd'T'HH:mm:ss.fff", _ => "yyyy-MM-dd'T'HH:mm:ss.fffffff" };
            return "\"" + at.ToString(format, CultureInfo.InvariantCulture) + (offsetHours == 0 ? "Z" : at.ToString("zzz", CultureInfo.InvariantCulture)) + "\"";
        }),
        Gen.Const("\"2026-03-14\""), Gen.Const("\"2026-03-14T09:30:00\""), Gen.Const("\"yesterday\""), Gen.Const("1773480600"), Gen.Const("null"));

    private static readonly Gen<(string? Version, string? UpdatedAt, bool Delete)> Meta =
        Gen.Select(VersionText.Null(), UpdatedAtText.Null(), Gen.Bool, (v, u, d) => (v, u, d));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void What_the_edge_accepts_reaches_the_processor_with_the_same_version(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"PartnerVersionProperties seed: {seed}");
        var accepted = 0;
        Meta.Sample(meta =>
        {
            var members = new List<string> { "\"external_id\":\"visit-1\"" };
            if (meta.Version is { } v)
            {
                members.Add("\"version\":" + v);
            }

            if (meta.UpdatedAt is { } u)
            {
                members.Add("\"updated_at\":" + u);
            }

            var metaJson = "{" + string.Join(",", members) + "}";
            var body = meta.Delete ? "{\"meta\":" + metaJson + "}" : "{\"data\":" + Bodies.CalendarEvent()["data"]!.ToJsonString() + ",\"meta\":" + metaJson + "}";
            var order = new CalendarWriteOrder(SignedAt.ToUnixTimeSeconds(), SignedAt.AddMilliseconds(3));
            var read = meta.Delete
                ? CalendarEventRequestReader.ReadDelete("visit-1", Encoding.UTF8.GetBytes(body), order)
                : CalendarEventRequestReader.ReadPut("visit-1", Encoding.UTF8.GetBytes(body), order);

            var expected = Expected(meta.Version, meta.UpdatedAt);
            if (read.Accepted is not { } accepted1)
            {
                Assert.True(expected is null, $"refused {metaJson}");
                if (read.MalformedReason is null)
                {
                    // Not JSON at all (01, a lone minus) is a 400 without pointers; anything else names the member.
                    Assert.Contains(read.Errors, e => e.Pointer is "/meta/version" or "/meta/updated_at");
                }

                return;
            }

            Interlocked.Increment(ref accepted);
            Assert.False(meta.Version is not null && meta.UpdatedAt is not null, $"accepted both: {metaJson}");
            Assert.Equal(expected?.Version, accepted1.Order!.Version);
            var text = Encoding.UTF8.GetString(accepted1.Message(IngestionId));
            Assert.Equal(accepted1.Order.Version is null ? 1 : 2, JsonNode.Parse(text)!["version"]!.GetValue<int>());
            var parsed = CalendarEventMessageParser.Parse(text, SignedAt);
            Assert.True(parsed.Message is not null, string.Join("; ", parsed.Errors.Select(e => $"{e.Pointer}: {e.Detail}")));
            Assert.Equal(accepted1.Order, parsed.Message!.Order);
        }, seed: seed, iter: 2000, threads: 1);

        Assert.InRange(accepted, 50, 1950); // both sides covered: some accepted, some refused (the ratio depends on the seed)
    }

    /// <summary>The version a strict reading finds (null: none, or a refusal, told apart by the caller).</summary>
    private static (PartnerVersion? Version, bool Valid)? Expected(string? version, string? updatedAt)
    {
        if (version is not null && updatedAt is not null)
        {
            return null;
        }

        if (version is not null)
        {
            return long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= PartnerVersion.MaxSequence
                && v.ToString(CultureInfo.InvariantCulture) == version
                ? (PartnerVersion.FromSequence(v), true)
                : null;
        }

        if (updatedAt is not null)
        {
            if (updatedAt.Length < 22 || updatedAt[0] != '"' || updatedAt.Contains("T", StringComparison.Ordinal) is false
                || !DateTimeOffset.TryParse(updatedAt.Trim('"'), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                || !(updatedAt.EndsWith("Z\"", StringComparison.Ordinal) || updatedAt[^7] is '+' or '-'))
            {
                return null;
            }

            return at <= SignedAt + PartnerVersion.FutureTolerance ? (PartnerVersion.FromUpdatedAt(at), true) : null;
        }

        return (null, true);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_order_key_sorts_as_the_orders_do(string seed)
    {
        var order = Gen.Select(Gen.Int[0, 2], Gen.Long[0, 50], Gen.Long[1_700_000_000, 1_700_000_100], Gen.Int[0, 5], (kind, version, signed, received) =>
            new CalendarWriteOrder(signed, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(received),
                kind switch
                {
                    0 => null,
                    1 => PartnerVersion.FromSequence(version),
                    _ => PartnerVersion.FromUpdatedAt(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + version)),
                }));
        Gen.Select(order, order).Sample((a, b) =>
        {
            var expected = Compare(a, b);
            Assert.Equal(expected, Math.Sign(string.CompareOrdinal(a.Key, b.Key)));
            Assert.Equal(expected < 0, a.IsOlderThan(b.Key));
            Assert.Equal(expected < 0 ? b.Key : a.Key, a.Latest(b.Key));
        }, seed: seed, iter: 5000, threads: 1);
    }

    /// <summary>The rule as docs/PROCESSING.md states it: a sequence above any time; else the partner's or the signed instant; then signed, then received.</summary>
    private static int Compare(CalendarWriteOrder a, CalendarWriteOrder b)
    {
        int Rank(CalendarWriteOrder o) => o.Version?.Sequence is null ? 0 : 1;
        long Primary(CalendarWriteOrder o) => o.Version?.Sequence ?? (o.Version?.UpdatedAt ?? DateTimeOffset.FromUnixTimeSeconds(o.SignedAt)).UtcTicks;
        var c = Rank(a).CompareTo(Rank(b));
        c = c != 0 ? c : Primary(a).CompareTo(Primary(b));
        c = c != 0 ? c : a.SignedAt.CompareTo(b.SignedAt);
        return Math.Sign(c != 0 ? c : a.ReceivedAt.UtcTicks.CompareTo(b.ReceivedAt.UtcTicks));
    }

    [Fact]
    public void A_key_written_before_partner_versions_sorts_as_the_same_order_does_now()
    {
        var order = new CalendarWriteOrder(1_764_583_200, new DateTimeOffset(2025, 12, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1234567));
        var legacy = string.Create(CultureInfo.InvariantCulture, $"{order.SignedAt:D11}.{order.ReceivedAt.UtcTicks:D19}");

        Assert.Equal(order.Key, CalendarWriteOrder.Normalize(legacy));
        Assert.False(order.IsOlderThan(legacy));
        Assert.True((order with { ReceivedAt = order.ReceivedAt.AddTicks(-1) }).IsOlderThan(legacy));
    }

    [Theory]
    [InlineData("7", null, 7L, null)]
    [InlineData("v7", "2026-01-01T00:00:00Z", null, "2026-01-01T00:00:00Z")]
    [InlineData(null, "2026-01-01T00:00:00+02:00", null, "2025-12-31T22:00:00Z")]
    [InlineData(null, null, null, null)]
    public void A_fhir_appointment_meta_gives_a_partner_version(string? versionId, string? lastUpdated, long? sequence, string? at)
    {
        var version = PartnerVersion.FromFhirMeta(versionId, lastUpdated is null ? null : DateTimeOffset.Parse(lastUpdated, CultureInfo.InvariantCulture));

        Assert.Equal(sequence, version?.Sequence);
        Assert.Equal(at is null ? null : DateTimeOffset.Parse(at, CultureInfo.InvariantCulture), version?.UpdatedAt);
    }
}
