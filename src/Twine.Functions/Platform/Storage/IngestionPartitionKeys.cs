namespace Twine.Functions.Platform.Storage;

/// <summary>
/// The row keys of one ingestion's partition in the Ingestions table, in the layout its row was written with.
/// <para>
/// Every row key carries the ingestion id (<c>i_{id}</c> for the ingestion row, <c>{index:D5}_{id}</c> for an outcome,
/// <c>m{index:D5}_{id}</c> for a kept copy), so that no two partitions share a row key. Table Storage finds a row by
/// PartitionKey and RowKey together, so there it changes nothing; Azurite (3.37, LokiJS) looks a row up by RowKey first and
/// then walks every row with that RowKey, so with a key shared by every ingestion (<c>ingestion</c>, <c>00000</c>) each
/// insert, point read and delete walked every ingestion: the local app slowed down as its tables filled, and retention of
/// 100,000 ingestions went from a projected hour and more to about six minutes (docs/PERFORMANCE.md).
/// </para>
/// <para>
/// Partitions written before (<see cref="Legacy"/>: RK <c>ingestion</c>, <c>00000</c>, <c>m00000</c>) keep their keys:
/// whoever writes into a partition takes the layout from the row it read. New ingestions never land in an old partition:
/// their ids are derived differently (<see cref="Ingestions.IngestionId.ForWebhookId"/>).
/// </para>
/// </summary>
public readonly record struct IngestionPartitionKeys(string IngestionId, bool Legacy)
{
    /// <summary>The ingestion row's key starts with this (then the id).</summary>
    public const string RowPrefix = "i_";

    /// <summary>The keys of a new ingestion.</summary>
    public static IngestionPartitionKeys For(string ingestionId) => new(ingestionId, Legacy: false);

    /// <summary>The keys of the partition whose ingestion row has <paramref name="rowKey"/>.</summary>
    public static IngestionPartitionKeys OfRow(string ingestionId, string rowKey) => new(ingestionId, rowKey == TableKeys.LegacyIngestionRow);

    /// <summary>The ingestion row.</summary>
    public string Row => Legacy ? TableKeys.LegacyIngestionRow : RowPrefix + IngestionId;

    /// <summary>A message's outcome row.</summary>
    public string Outcome(int messageIndex) =>
        Legacy ? TableKeys.MessageIndex(messageIndex) : TableKeys.MessageIndex(messageIndex) + "_" + IngestionId;

    /// <summary>A message's kept copy.</summary>
    public string Kept(int messageIndex) => TableKeys.KeptMessageRowPrefix + Outcome(messageIndex);
}
