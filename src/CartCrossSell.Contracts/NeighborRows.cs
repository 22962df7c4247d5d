namespace CartCrossSell.Contracts;

/// <summary>
/// One row of the learned co-occurrence model (topic <c>item-neighbors</c>, compacted, keyed by <see cref="RowKey"/>):
/// an item (<c>item:{sku}</c>), a leaf category (<c>category:{name}</c>) or an order-of-addition row (<c>next:{sku}</c>,
/// <c>prev:{sku}</c>: the items added right after or before the sku) with its decayed basket weight and its
/// strongest neighbours with decayed pair weights. The special row <c>baskets</c> holds the decayed basket count.
/// Weights are on the engine's landmark scale (see the engine's <c>DecayClock</c>), so rows from different
/// partitions compare directly.
/// </summary>
public sealed record NeighborRow
{
    public int SchemaVersion { get; set; } = 1;
    public required string RowKey { get; init; }
    public required double Weight { get; init; }
    public required IReadOnlyList<NeighborWeight> Neighbors { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

public sealed record NeighborWeight(string Key, double PairWeight);

/// <summary>
/// Internal repartition record of the basket learner: the contribution of one order to one row, keyed by the row.
/// The source coordinates make the aggregation idempotent when an order is replayed after a crash.
/// </summary>
public sealed record BasketRowDelta
{
    public required string RowKey { get; init; }
    public required double Weight { get; init; }
    public required IReadOnlyList<NeighborWeight> Pairs { get; init; }
    public required int SourcePartition { get; init; }
    public required long SourceOffset { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}
