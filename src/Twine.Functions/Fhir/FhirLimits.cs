namespace Twine.Functions.Fhir;

/// <summary>What one FHIR request may hold.</summary>
public static class FhirLimits
{
    /// <summary>
    /// Entries per Bundle: the same 1,000 as the metrics a POST /api/metrics may carry (QueueMessageLimits; a test keeps
    /// them equal). More is answered 413 before any entry is mapped.
    /// </summary>
    public const int MaxBundleEntries = 1000;

    /// <summary>JSON nesting the parser reads (System.Text.Json's default); deeper is answered 400.</summary>
    public const int MaxDepth = 64;

    /// <summary>Issues listed in one OperationOutcome; the rest are counted in a last issue.</summary>
    public const int MaxIssues = 100;
}
