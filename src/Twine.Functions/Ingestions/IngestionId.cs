namespace Twine.Functions.Ingestions;

/// <summary>Ingestion ids are 32 lowercase hex digits (a version 7 GUID: unique across instances, sortable by time).</summary>
public static class IngestionId
{
    public const int Length = 32;

    public static string New(TimeProvider timeProvider) =>
        Guid.CreateVersion7(timeProvider.GetUtcNow()).ToString("N");

    public static bool IsValid(string? value) =>
        value is { Length: Length } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
