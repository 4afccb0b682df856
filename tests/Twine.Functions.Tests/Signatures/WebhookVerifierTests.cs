using System.Text;
using static Twine.Functions.Tests.Signatures.SignatureHarness;
using Twine.Functions.Partners;

namespace Twine.Functions.Tests.Signatures;

/// <summary>The Standard Webhooks rules, checked on the verifier alone (no storage).</summary>
public sealed class WebhookVerifierTests
{
    private const string Body = "{\"test\": 2432232314}";

    // The specification's published test vector, from the reference implementations' tests:
    // standard-webhooks/standard-webhooks, libraries/csharp/StandardWebhooks.Tests/WebhookTest.cs, verifyWebhookSignWorks
    // (commit 1e88c9ce08bb2c605fea9a2a540b4a91d31c7a62); the same values appear in the JavaScript library's webhook.test.ts.
    private const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long VectorTimestamp = 1614265330;
    private const string VectorPayload = "{\"test\": 2432232314}";
    private const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    [Fact]
    public void Signing_the_specification_test_vector_gives_the_published_signature()
    {
        Assert.Equal(VectorSignature, WebhookSecret.Sign(VectorSecret, VectorId, VectorTimestamp, Encoding.UTF8.GetBytes(VectorPayload)));
    }

    [Fact]
    public async Task The_specification_test_vector_verifies_at_its_own_time()
    {
        using var h = new SignatureHarness(new() { ["spec"] = new PartnerOptions { Secrets = [VectorSecret] } },
            now: DateTimeOffset.FromUnixTimeSeconds(VectorTimestamp));

        var outcome = await h.CheckAsync(new WebhookHeaders(VectorId, "1614265330", VectorSignature), VectorPayload);

        Assert.Equal((200, "spec"), (outcome.Status, outcome.Partner));
    }

    [Fact]
    public async Task A_valid_single_signature_is_accepted_and_names_the_partner()
    {
        using var h = WithPartner("acme", SecretA);

        var outcome = await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body);

        Assert.Equal((200, "acme"), (outcome.Status, outcome.Partner));
    }

    [Fact]
    public async Task Several_signatures_pass_when_one_is_valid()
    {
        using var h = WithPartner("acme", SecretA);
        var valid = Signed(SecretA, "msg_1", h.Now, Body);
        var list = string.Join(' ', "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v1,not-base64!!", "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", valid.Signature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=");

        var outcome = await h.CheckAsync(valid with { Signature = list }, Body);

        Assert.Equal(200, outcome.Status);
    }

    [Fact]
    public async Task A_sender_rotating_its_secret_sends_two_signatures_and_either_secret_configured_passes()
    {
        using var onlyNew = WithPartner("acme", SecretB);
        using var onlyOld = WithPartner("acme", SecretA);
        var oldSigned = Signed(SecretA, "msg_1", onlyNew.Now, Body);
        var newSigned = Signed(SecretB, "msg_1", onlyNew.Now, Body);
        var both = oldSigned with { Signature = newSigned.Signature + " " + oldSigned.Signature };

        Assert.Equal(200, (await onlyNew.CheckAsync(both, Body)).Status);
        Assert.Equal(200, (await onlyOld.CheckAsync(both, Body)).Status);
    }

    [Fact]
    public async Task A_partner_with_the_current_and_previous_secret_accepts_requests_signed_with_either()
    {
        using var h = WithPartner("acme", SecretB, SecretA);

        Assert.Equal(200, (await h.CheckAsync(Signed(SecretA, "msg_old", h.Now, Body), Body)).Status);
        Assert.Equal(200, (await h.CheckAsync(Signed(SecretB, "msg_new", h.Now, Body), Body)).Status);
        (await h.CheckAsync(Signed(SecretC, "msg_other", h.Now, Body), Body)).AssertRefused(WebhookHeaders.SignatureHeader);
    }

    [Fact]
    public async Task The_partner_is_the_one_whose_secret_matches()
    {
        using var h = new SignatureHarness(new()
        {
            ["acme"] = new PartnerOptions { Secrets = [SecretA] },
            ["globex"] = new PartnerOptions { Secrets = [SecretB] },
        });

        Assert.Equal("acme", (await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body)).Partner);
        Assert.Equal("globex", (await h.CheckAsync(Signed(SecretB, "msg_1", h.Now, Body), Body)).Partner);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_naming_webhook_signature()
    {
        using var h = WithPartner("acme", SecretA);

        (await h.CheckAsync(Signed(SecretC, "msg_1", h.Now, Body), Body)).AssertRefused(WebhookHeaders.SignatureHeader);
    }

    [Fact]
    public async Task No_configured_partner_means_every_request_is_refused()
    {
        using var h = new SignatureHarness([]);

        (await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body), Body)).AssertRefused(WebhookHeaders.SignatureHeader);
    }

    [Fact]
    public async Task A_tampered_body_id_or_timestamp_is_refused()
    {
        using var h = WithPartner("acme", SecretA);
        var signed = Signed(SecretA, "msg_1", h.Now, Body);

        (await h.CheckAsync(signed, Body.Replace("2432232314", "2432232315", StringComparison.Ordinal))).AssertRefused(WebhookHeaders.SignatureHeader);
        (await h.CheckAsync(signed, Body + " ")).AssertRefused(WebhookHeaders.SignatureHeader);
        (await h.CheckAsync(signed with { Id = "msg_2" }, Body)).AssertRefused(WebhookHeaders.SignatureHeader);
        (await h.CheckAsync(signed with { Timestamp = (h.Now - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) }, Body))
            .AssertRefused(WebhookHeaders.SignatureHeader);
        Assert.Equal(200, (await h.CheckAsync(signed, Body)).Status); // the untampered request still passes
    }

    [Theory]
    [InlineData(-300, 200)]
    [InlineData(300, 200)]
    [InlineData(-301, 401)]
    [InlineData(301, 401)]
    [InlineData(-86400, 401)]
    public async Task The_timestamp_must_be_within_five_minutes_either_way(int offsetSeconds, int expected)
    {
        using var h = WithPartner("acme", SecretA);

        var outcome = await h.CheckAsync(Signed(SecretA, "msg_1", h.Now + offsetSeconds, Body), Body);

        Assert.Equal(expected, outcome.Status);
        if (expected == 401)
        {
            Assert.Equal(WebhookHeaders.TimestampHeader, outcome.Header);
        }
    }

    [Theory]
    [InlineData(WebhookHeaders.IdHeader)]
    [InlineData(WebhookHeaders.TimestampHeader)]
    [InlineData(WebhookHeaders.SignatureHeader)]
    public async Task A_missing_header_is_refused_naming_it(string missing)
    {
        using var h = WithPartner("acme", SecretA);
        var signed = Signed(SecretA, "msg_1", h.Now, Body);
        var headers = missing switch
        {
            WebhookHeaders.IdHeader => signed with { Id = null },
            WebhookHeaders.TimestampHeader => signed with { Timestamp = null },
            _ => signed with { Signature = null },
        };

        (await h.CheckAsync(headers, Body)).AssertRefused(missing);
        (await h.CheckAsync(WebhookHeaders.None, Body)).AssertRefused(WebhookHeaders.IdHeader);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1764061200.5")]
    [InlineData("-1764061200")]
    [InlineData(" 1764061200")]
    [InlineData("2026-11-25T09:00:00Z")]
    [InlineData("99999999999999999999")]
    public async Task A_timestamp_that_is_not_unix_seconds_is_refused(string timestamp)
    {
        using var h = WithPartner("acme", SecretA);

        (await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body) with { Timestamp = timestamp }, Body)).AssertRefused(WebhookHeaders.TimestampHeader);
    }

    [Theory]
    [InlineData("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]       // no version prefix
    [InlineData("v1 g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]    // space instead of comma
    [InlineData("v1,")]                                               // empty
    [InlineData("v1,%%%not-base64%%%")]                               // bad base64
    [InlineData("v1,AAAA")]                                           // valid base64, wrong length
    [InlineData("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("   ")]
    public async Task Malformed_signature_entries_are_refused(string signature)
    {
        using var h = WithPartner("acme", SecretA);

        (await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body) with { Signature = signature }, Body)).AssertRefused(WebhookHeaders.SignatureHeader);
    }

    [Fact]
    public async Task A_correct_signature_without_its_version_prefix_is_refused()
    {
        using var h = WithPartner("acme", SecretA);
        var signed = Signed(SecretA, "msg_1", h.Now, Body);

        (await h.CheckAsync(signed with { Signature = signed.Signature![3..] }, Body)).AssertRefused(WebhookHeaders.SignatureHeader);
    }

    [Theory]
    [InlineData("msg with space")]
    [InlineData("msg_\u00e9")]
    public async Task A_malformed_webhook_id_is_refused(string id)
    {
        using var h = WithPartner("acme", SecretA);

        (await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body) with { Id = id }, Body)).AssertRefused(WebhookHeaders.IdHeader);
        (await h.CheckAsync(Signed(SecretA, "msg_1", h.Now, Body) with { Id = new string('a', 201) }, Body)).AssertRefused(WebhookHeaders.IdHeader);
    }

    [Theory]
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true)]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false)]   // no prefix
    [InlineData("whsec_", false)]
    [InlineData("whsec_not base64", false)]
    [InlineData("whsec_c2hvcnQ=", false)]                     // 5 bytes: too short
    public void Secrets_must_be_whsec_and_base64_of_24_to_64_bytes(string secret, bool valid)
    {
        Assert.Equal(valid, WebhookSecret.TryParse(secret, out _));
    }
}
