using System.Text;
using CsCheck;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Tests.History;

/// <summary>
/// The X-MS-CLIENT-PRINCIPAL reader (<see cref="ClientPrincipal.TryParse"/>), generated (CsCheck; a fixed seed and a fresh
/// one, replayable with CsCheck_Seed): any header, base64 or not, JSON or not, is read or refused, never an exception;
/// a well-formed principal keeps its string claims, and has the role exactly when a role claim carries it.
/// </summary>
public sealed class ClientPrincipalProperties
{
    private static readonly string FixedSeed = new PCG(13, 20260314).ToString();

    public static TheoryData<string> Seeds() =>
        new(FixedSeed, Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? replay : PCG.ThreadPCG.ToString());

    private static readonly Gen<string> Fragment = Gen.OneOf(
        Gen.String,
        Gen.Const("{\"auth_typ\":\"aad\",\"claims\":["), Gen.Const("{\"typ\":\"roles\",\"val\":\"Twine.Operator\"}"), Gen.Const("]}"),
        Gen.Const("{\"typ\":1,\"val\":[]}"), Gen.Const("null"), Gen.Const(","), Gen.Const("\"role_typ\":\"roles\""), Gen.Const("\\ud800"),
        Gen.Const("{"), Gen.Const("["), Gen.Const("\"claims\":"), Gen.Const("\u00ff\u0000"));

    /// <summary>Text that is often nearly a principal: glued fragments, then base64 of it, or not.</summary>
    private static readonly Gen<string> Header = Gen.Select(Fragment.Array[0, 12], Gen.Int[0, 3], (parts, how) =>
    {
        var text = string.Concat(parts);
        return how switch
        {
            0 => text,
            1 => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)),
            2 => Convert.ToBase64String(Encoding.UTF8.GetBytes(text + "x"))[..^1],
            _ => Convert.ToBase64String(Encoding.Latin1.GetBytes(text)),
        };
    });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Any_header_is_read_or_refused_never_thrown(string seed)
    {
        TestContext.Current.SendDiagnosticMessage($"ClientPrincipalProperties seed: {seed}");
        Header.Sample(header =>
        {
            var principal = ClientPrincipal.TryParse(header);
            _ = principal?.HasRole("Twine.Operator");
            return principal is null || principal.Claims.All(c => c.Type is not null && c.Value is not null);
        }, seed: seed, iter: 20_000, threads: 1);
    }

    private static readonly Gen<(string Type, string Value)> Claim = Gen.Select(
        Gen.OneOf(Gen.Const("roles"), Gen.Const(ClientPrincipal.RoleClaimUri), Gen.Const("groups"), Gen.Const("name"), Gen.Const("Roles"), Gen.String[0, 20]),
        Gen.OneOf(Gen.Const("Twine.Operator"), Gen.Const("twine.operator"), Gen.Const("Twine.Operator "), Gen.String[0, 20]),
        (t, v) => (t, v));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_principal_has_the_role_exactly_when_a_role_claim_carries_it(string seed)
    {
        Claim.Array[0, 8].Sample(claims =>
        {
            var principal = ClientPrincipal.TryParse(OperatorSignInTests.Principal(claims));
            var expected = claims.Any(c => c.Value == "Twine.Operator" && c.Type is "roles" or ClientPrincipal.RoleClaimUri);
            return principal is not null && principal.Claims.Count == claims.Length && principal.HasRole("Twine.Operator") == expected;
        }, seed: seed, iter: 5_000, threads: 1);
    }
}
