namespace Twine.Sandbox;

/// <summary>What an injected fault does to a request.</summary>
public enum FaultKind
{
    /// <summary>429 with a Retry-After header.</summary>
    TooManyRequests,

    /// <summary>500 in the spec's error shape.</summary>
    InternalServerError,

    /// <summary>503 in the spec's error shape.</summary>
    ServiceUnavailable,

    /// <summary>Waits (real time), then answers normally.</summary>
    Delay,

    /// <summary>Aborts the connection without an answer.</summary>
    DropConnection,
}
