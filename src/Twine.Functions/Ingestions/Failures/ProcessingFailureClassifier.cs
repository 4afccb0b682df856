using System.Text.Json;
using Azure;
using Twine.Client.Errors;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Ingestions.Failures;

/// <summary>What processing does with a failure.</summary>
public enum FailureClass
{
    /// <summary>Will not get better by trying again (Twine 4xx, a message that cannot be serialised or read): recorded at once.</summary>
    Permanent,

    /// <summary>Twine (or its credentials) not answering, or another delivery holding the link: the message is rescheduled with back-off.</summary>
    Transient,

    /// <summary>Storage errors and the host's own cancellation: thrown, so the host retries (and after 5 tries moves it to poison).</summary>
    HostRetry,

    /// <summary>Anything else: thrown like <see cref="HostRetry"/>; the last attempt records its exception type.</summary>
    Unclassified,
}

/// <summary>
/// The one place that says which exceptions processing may meet are permanent and which are worth retrying. Each type
/// listed here has a test (ProcessingFailureClassifierTests); serialisation and validation failures are permanent.
/// </summary>
public static class ProcessingFailureClassifier
{
    public static FailureClass Classify(Exception exception) => exception switch
    {
        TwineApiException e when TwineFailures.IsPermanent(e) => FailureClass.Permanent,
        TwineApiException => FailureClass.Transient, // 408, 429, 5xx, timeout, connection failure, open circuit, unreadable answer
        SecretUnavailableException => FailureClass.Transient,
        BusyElsewhereException => FailureClass.Transient,
        TwinePausedException => FailureClass.Transient,

        // Writing the request body: a value JSON cannot carry (e.g. 1e400 read as infinity) or a type it cannot write.
        JsonException => FailureClass.Permanent,
        NotSupportedException => FailureClass.Permanent,
        ArgumentException e when IsFromSerializer(e) => FailureClass.Permanent,
        InvalidOperationException e when IsFromSerializer(e) => FailureClass.Permanent,

        RequestFailedException => FailureClass.HostRetry,
        AggregateException e when e.InnerExceptions.Count > 0 && e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException) => FailureClass.HostRetry,
        OperationCanceledException => FailureClass.HostRetry,
        _ => FailureClass.Unclassified,
    };

    /// <summary>Thrown by System.Text.Json (its writer refuses non-finite numbers and invalid text with these types).</summary>
    private static bool IsFromSerializer(Exception e) =>
        e.Source?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true // "System.Text.Json", or "System.Text.Json.Rethrowable"
        || e.TargetSite?.DeclaringType?.Assembly.GetName().Name == "System.Text.Json";

    /// <summary>What an operator reads about a failure: status, kind and codes, never content.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        TwineApiException e => $"{e.Operation}: {(e.StatusCode is { } s ? $"{(int)s} {e.ErrorCode ?? s.ToString()}" : e.Kind.ToString())}",
        SecretUnavailableException e => $"Twine credentials unavailable (Key Vault status {e.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})",
        BusyElsewhereException e => e.Description,
        TwinePausedException e => $"Twine calls paused on this instance after {e.LastFailure ?? "a failure"}",
        _ => exception.GetType().Name,
    };

    public static string? RequestId(Exception exception) => (exception as TwineApiException)?.RequestId;
}

/// <summary>Twine was failing moments ago (<see cref="Retries.TwineAvailability"/> is open): the message waits without calling it.</summary>
public sealed class TwinePausedException(string? lastFailure)
    : Exception($"Twine calls are paused on this instance after {lastFailure ?? "a failure"}.")
{
    public string? LastFailure { get; } = lastFailure;
}
