using CsCheck;
using Twine.Functions.Ingestions.History;

namespace Twine.Functions.Tests.History;

/// <summary>
/// The history list's and bulk replay's query parameters, generated (CsCheck; a fixed seed and a fresh one, replayable
/// with CsCheck_Seed like <see cref="Contract.EdgeContractProperties"/>): any query either parses into a filter that keeps
/// the rules, or is refused with errors naming a parameter, never an exception; valid queries are accepted; a
/// continuation token continues exactly its own filter and is refused with another one.
/// </summary>
public sealed class HistoryQueryProperties
{
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 9, 30, 0, TimeSpan.Zero);
    private static readonly string FixedSeed = new PCG(11, 20260314).ToString();

    public static TheoryData<string> Seeds() =>
        new(FixedSeed, Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString());

    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static readonly string[] Names = ["status", "kind", "partner", "from", "to", "pageSize", "continuationToken", "limit", "dryRun", "code", "Status", "page_size", "", "x"];

    /// <summary>Values near and past every rule: valid ones, boundaries, junk, injection, control characters.</summary>
    private static readonly Gen<string> Value = Gen.OneOf(
        Pick("failed", "succeeded,failed", "partlySucceeded", "receiving", "FAILED", "failed,", ",", "", "metrics", "calendarEvent",
            "acme", "test-partner", "ACME_2", new string('a', 64), new string('a', 65), "a b", "ac'me", "' or PartitionKey ne '",
            "2026-03-14", "2026-03-14T09:00:00Z", "2026-03-14T09:00:00+14:00", "2026-03-14T09:00:00+25:00", "2026-02-30", "2026-03-14T09:00Z",
            "0001-01-01", "9999-12-31", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2025-01-01", "2026-03-14t09:00:00z",
            "1", "50", "100", "101", "1000", "1001", "0", "-1", "1e2", "0x10", " 10", "10 ", "١٠", "true", "false", "yes",
            "eyJ2IjoxfQ", "!!!", new string('A', 1001), "\n", "\u0000", "%00"),
        Gen.String[Gen.Char.AlphaNumeric, 0, 12],
        Gen.String[Gen.Char[(char)0, (char)0x2FF], 0, 20]);

    private static readonly Gen<List<KeyValuePair<string, string?>>> Query =
        Gen.Select(Pick(Names), Value.Null(), (n, v) => new KeyValuePair<string, string?>(n, v)).List[0, 6];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Any_query_parses_into_a_filter_that_keeps_the_rules_or_is_refused_with_named_parameters(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"HistoryQueryProperties seed: {seed}");
        var accepted = 0;
        Query.Sample(query =>
        {
            foreach (var replay in new[] { false, true })
            {
                var (parsed, errors) = replay ? HistoryQueryParser.ParseReplay(query, Now) : HistoryQueryParser.ParseList(query, Now);
                if (parsed is null)
                {
                    Assert.NotEmpty(errors);
                    Assert.All(errors, e => Assert.False(string.IsNullOrEmpty(e.Parameter)));
                    Assert.All(errors, e => Assert.All(e.Parameter!, c => Assert.InRange(c, ' ', '~'))); // echoed names are printable
                    continue;
                }

                Interlocked.Increment(ref accepted);
                Assert.Empty(errors);
                var f = parsed.Filter;
                Assert.True(f.From <= f.To);
                Assert.True(f.To - f.From <= TimeSpan.FromDays(HistoryQueryParser.MaxRangeDays));
                Assert.InRange(parsed.PageSize, 1, replay ? HistoryQueryParser.MaxReplayLimit : HistoryQueryParser.MaxPageSize);
                Assert.All(f.Statuses, s => Assert.Contains(s, HistoryQueryParser.VisibleStatuses));
                Assert.Equal(f.Statuses.Count, f.Statuses.Distinct().Count());
                Assert.True(f.Kind is null || HistoryQueryParser.Kinds.Contains(f.Kind));
                Assert.True(f.Partner is null || (f.Partner.Length is > 0 and <= 64 && f.Partner.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_')));
                Assert.InRange(f.DaysNewestFirst().Count(), 1, HistoryQueryParser.MaxRangeDays + 1);
                Assert.False(!replay && parsed.DryRun);
            }
        }, seed: seed, iter: 20_000, threads: 1);

        Assert.True(accepted > 200, $"only {accepted} queries accepted: the generator must reach both sides");
    }

    private static readonly Gen<List<KeyValuePair<string, string?>>> ValidQuery =
        Gen.Select(
            Pick(HistoryQueryParser.VisibleStatuses.ToArray()).List[0, 3],
            Pick<string?>(null, "metrics", "calendarEvent"),
            Gen.String[Gen.Char["abcXYZ019-_"], 1, 64].Null(),
            Gen.Int[0, 80],
            Gen.Int[0, 10],
            Gen.Int[1, 100],
            (statuses, kind, partner, fromDaysAgo, span, size) =>
            {
                var from = Now.AddDays(-fromDaysAgo).AddSeconds(-fromDaysAgo * 37);
                var to = from.AddDays(span);
                var q = new List<KeyValuePair<string, string?>>
                {
                    new("from", from.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
                    new("to", to.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
                    new("pageSize", size.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                };
                if (statuses.Count > 0)
                {
                    q.Add(new("status", string.Join(",", statuses)));
                }

                if (kind is not null)
                {
                    q.Add(new("kind", kind));
                }

                if (partner is not null)
                {
                    q.Add(new("partner", partner));
                }

                return q;
            });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Valid_queries_are_accepted_and_a_token_continues_only_its_own_filter(string seed)
    {
        ValidQuery.Sample(query =>
        {
            var (parsed, errors) = HistoryQueryParser.ParseList(query, Now);
            Assert.True(parsed is not null, string.Join("; ", errors.Select(e => $"{e.Parameter}: {e.Detail}")));
            var day = parsed!.Filter.DaysNewestFirst().Last();
            var cursor = new HistoryCursor(day, "9999999999999999999_" + new string('a', 32));
            var token = HistoryQueryParser.EncodeToken(parsed.Filter, cursor);

            // The same parameters with the token: the same filter, at the cursor. Without from/to: the token's range.
            var next = HistoryQueryParser.ParseList([.. query, new("continuationToken", token)], Now.AddHours(3)).Query;
            Assert.Equal(cursor, next!.Cursor);
            Assert.Equal(parsed.Filter.Fingerprint(), next.Filter.Fingerprint());
            var withoutRange = HistoryQueryParser.ParseList([.. query.Where(p => p.Key is not ("from" or "to")), new("continuationToken", token)], Now.AddDays(2)).Query;
            Assert.Equal(parsed.Filter.From, withoutRange!.Filter.From);

            // Another filter with this token: refused, naming the token.
            var other = query.Where(p => p.Key != "kind").Append(new("kind", query.Any(p => p is { Key: "kind", Value: "metrics" }) ? "calendarEvent" : "metrics")).ToList();
            var (refused, why) = HistoryQueryParser.ParseList([.. other, new("continuationToken", token)], Now);
            Assert.Null(refused);
            Assert.Equal("continuationToken", Assert.Single(why).Parameter);

            // A token changed in any one character is refused or still a valid token of this filter, never an exception.
            var chars = token.ToCharArray();
            chars[token.Length / 2] = chars[token.Length / 2] == 'A' ? 'B' : 'A';
            _ = HistoryQueryParser.ParseList([.. query, new("continuationToken", new string(chars))], Now);
        }, seed: seed, iter: 2_000, threads: 1);
    }

    [Theory]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=101", "pageSize")]
    [InlineData("status=receiving", "status")]
    [InlineData("kind=Metrics", "kind")]
    [InlineData("from=2026-03-14T09:00:00", "from")]
    [InlineData("from=2026-03-15&to=2026-03-14", "from")]
    [InlineData("from=2025-01-01&to=2026-03-14", "from")]
    [InlineData("partner=a%20b", "partner")]
    [InlineData("continuationToken=garbage!", "continuationToken")]
    [InlineData("stauts=failed", "stauts")]
    [InlineData("status=failed&status=succeeded", "status")]
    public void Examples_are_refused_naming_the_parameter(string query, string parameter)
    {
        var pairs = query.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string?>(p[0], Uri.UnescapeDataString(p[1]))).ToList();

        var (parsed, errors) = HistoryQueryParser.ParseList(pairs, Now);

        Assert.Null(parsed);
        Assert.Contains(errors, e => e.Parameter == parameter);
    }

    [Fact]
    public void Defaults_are_the_last_thirty_days_fifty_rows_every_visible_status()
    {
        var (parsed, _) = HistoryQueryParser.ParseList([new("code", "function-key")], Now);

        Assert.Equal((Now.AddDays(-30), Now, 50, 0), (parsed!.Filter.From, parsed.Filter.To, parsed.PageSize, parsed.Filter.Statuses.Count));
        Assert.Equal(31, parsed.Filter.DaysNewestFirst().Count());
    }
}
