using System.Net;
using Microsoft.Extensions.Time.Testing;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Tests.Secrets;

/// <summary>
/// The app's one Key Vault reader, through the real SecretClient against <see cref="StandInKeyVault"/>: time to live on
/// a fake clock, single flight (reads counted at the vault, a read held open there while callers arrive), forced
/// refresh, and every vault failure as <see cref="SecretUnavailableException"/> with its status.
/// </summary>
public sealed class CachedSecretReaderTests : IDisposable
{
    private static readonly TimeSpan TimeToLive = TimeSpan.FromMinutes(10);
    private readonly StandInKeyVault _vault = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
    private readonly CachedSecretReader _reader;

    public CachedSecretReaderTests()
    {
        _vault.Set("alpha", "alpha-1");
        _vault.Set("beta", "beta-1");
        _reader = _vault.CreateReader(_time, TimeToLive);
    }

    public void Dispose()
    {
        _vault.Release();
        _vault.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private Task<string> Get(string name, bool refresh = false, CancellationToken? cancellationToken = null) =>
        _reader.GetAsync(name, refresh, cancellationToken ?? Token).AsTask();

    [Fact]
    public async Task A_value_is_reused_until_its_time_to_live_has_passed_then_read_again()
    {
        Assert.Equal("alpha-1", await Get("alpha"));
        _vault.Set("alpha", "alpha-2");

        _time.Advance(TimeToLive - TimeSpan.FromTicks(1));
        var beforeExpiry = await Get("alpha");
        _time.Advance(TimeSpan.FromTicks(1));
        var atExpiry = await Get("alpha");
        var afterExpiry = await Get("alpha");

        Assert.Equal(("alpha-1", "alpha-2", "alpha-2"), (beforeExpiry, atExpiry, afterExpiry));
        Assert.Equal(2, _vault.SecretReads);
    }

    [Fact]
    public async Task Each_secret_name_has_its_own_cache_entry_and_time_to_live()
    {
        await Get("alpha");
        _time.Advance(TimeSpan.FromMinutes(6));
        await Get("beta");
        _time.Advance(TimeSpan.FromMinutes(6)); // alpha is 12 minutes old, beta 6

        await Get("alpha");
        await Get("beta");
        await Get("ALPHA"); // Key Vault names are case-insensitive

        Assert.Equal(3, _vault.SecretReads);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_read()
    {
        _vault.Hold();
        var first = Get("alpha");
        await _vault.RequestHeld.WaitAsync(Token); // the first caller's read is under way at the vault
        var others = Enumerable.Range(0, 31).Select(_ => Get("alpha")).ToList();
        Assert.DoesNotContain(others, t => t.IsCompleted);

        _vault.Release();
        var values = await Task.WhenAll(others.Prepend(first));

        Assert.All(values, v => Assert.Equal("alpha-1", v));
        Assert.Equal((1, 1), (_vault.Requests, _vault.SecretReads));
    }

    [Fact]
    public async Task Concurrent_callers_share_one_failed_read_and_the_next_call_reads_again()
    {
        _vault.FailWith = HttpStatusCode.ServiceUnavailable;
        _vault.Hold();
        var first = Get("alpha");
        await _vault.RequestHeld.WaitAsync(Token);
        var callers = Enumerable.Range(0, 15).Select(_ => Get("alpha")).Prepend(first).ToList();

        _vault.Release();
        foreach (var caller in callers)
        {
            var error = await Assert.ThrowsAsync<SecretUnavailableException>(() => caller);
            Assert.Equal(503, error.Status);
        }

        Assert.Equal(1, _vault.Requests);
        _vault.FailWith = null;
        Assert.Equal("alpha-1", await Get("alpha")); // a failure is not cached
        Assert.Equal(2, _vault.Requests);
    }

    [Fact]
    public async Task A_refresh_reads_at_once_even_when_the_cached_value_is_fresh()
    {
        await Get("alpha");
        _vault.Set("alpha", "alpha-2");

        var cached = await Get("alpha");
        var refreshed = await Get("alpha", refresh: true);
        var afterwards = await Get("alpha");

        Assert.Equal(("alpha-1", "alpha-2", "alpha-2"), (cached, refreshed, afterwards));
        Assert.Equal(2, _vault.SecretReads);
    }

    [Fact]
    public async Task Concurrent_refreshes_share_one_read_newer_than_the_value_they_replace()
    {
        await Get("alpha");
        _vault.Set("alpha", "alpha-2");
        _vault.Hold();

        var first = Get("alpha", refresh: true);
        await _vault.RequestHeld.WaitAsync(Token);
        var others = Enumerable.Range(0, 15).Select(_ => Get("alpha", refresh: true)).ToList();
        _vault.Release();
        var values = await Task.WhenAll(others.Prepend(first));

        Assert.All(values, v => Assert.Equal("alpha-2", v));
        Assert.Equal(2, _vault.SecretReads);

        // A refresh asked after that read finished is not satisfied by it.
        _vault.Set("alpha", "alpha-3");
        Assert.Equal("alpha-3", await Get("alpha", refresh: true));
        Assert.Equal(3, _vault.SecretReads);
    }

    [Fact]
    public async Task A_caller_that_gives_up_ends_only_its_own_wait()
    {
        _vault.Hold();
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var impatient = Get("alpha", cancellationToken: giveUp.Token);
        await _vault.RequestHeld.WaitAsync(Token);
        var patient = Get("alpha");

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        _vault.Release();

        Assert.Equal("alpha-1", await patient);
        Assert.Equal("alpha-1", await Get("alpha"));
        Assert.Equal(1, _vault.Requests);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, "Forbidden")]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable")]
    public async Task A_vault_error_is_a_SecretUnavailableException_with_the_vaults_status_and_code(HttpStatusCode status, string code)
    {
        _vault.FailWith = status;

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(() => Get("alpha"));

        Assert.Equal(((int?)status, code, "alpha"), (error.Status, error.ErrorCode, error.SecretName));
        Assert.Contains("alpha", error.Message, StringComparison.Ordinal);
        Assert.Contains(StandInKeyVault.VaultUri.Host, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_secret_is_404_SecretNotFound()
    {
        var error = await Assert.ThrowsAsync<SecretUnavailableException>(() => Get("gamma"));

        Assert.Equal((404, "SecretNotFound"), (error.Status, error.ErrorCode));
    }

    [Fact]
    public async Task An_unreachable_vault_has_no_status()
    {
        _vault.Unreachable = true;

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(() => Get("alpha"));

        Assert.Null(error.Status);
        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_secret_is_unavailable_and_not_cached()
    {
        _vault.Set("alpha", " ");

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(() => Get("alpha"));
        _vault.Set("alpha", "alpha-2");

        Assert.Equal((200, SecretUnavailableException.EmptySecret), (error.Status, error.ErrorCode));
        Assert.Equal("alpha-2", await Get("alpha"));
    }

    [Fact]
    public async Task A_value_its_parser_refuses_is_unavailable_not_cached_and_never_in_the_message()
    {
        _vault.Set("alpha", "not-a-number-but-a-secret");
        static Version Parse(string value) => Version.TryParse(value, out var version) ? version : throw new FormatException("it is not a version.");

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(() => _reader.GetAsync("alpha", Parse, refresh: false, Token).AsTask());
        _vault.Set("alpha", "1.2.3");
        var parsed = await _reader.GetAsync("alpha", Parse, refresh: false, Token);
        var cached = await _reader.GetAsync("alpha", Parse, refresh: false, Token);

        Assert.Equal((200, SecretUnavailableException.MalformedSecret), (error.Status, error.ErrorCode));
        Assert.DoesNotContain("not-a-number", error.Message, StringComparison.Ordinal);
        Assert.Same(parsed, cached);
        Assert.Equal(new Version(1, 2, 3), parsed);
        Assert.Equal(2, _vault.SecretReads);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("1.00:00:01")]
    public void The_time_to_live_is_validated_at_start_up_by_the_generated_validator(string timeToLive)
    {
        var result = new TwineSecretsOptionsValidator().Validate(null, new TwineSecretsOptions { CacheTimeToLive = TimeSpan.Parse(timeToLive, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.True(result.Failed);
        Assert.Contains(nameof(TwineSecretsOptions.CacheTimeToLive), result.FailureMessage, StringComparison.Ordinal);
    }
}
