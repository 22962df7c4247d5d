namespace CartCrossSell.Topologies;

/// <summary>Names of the topologies (consumer groups are <c>{applicationId}-{name}</c>), their stores and internal topics.</summary>
public static class TopologyNames
{
    /// <summary>order-events → per-row contributions, repartitioned by row key.</summary>
    public const string BasketSplitter = "basket-splitter";
    /// <summary>row contributions → decayed row counts (store <see cref="BasketRowsStore"/>) → item-neighbors.</summary>
    public const string BasketAggregator = "basket-aggregator";
    /// <summary>cart-events → cart state (store <see cref="CartsStore"/>) → recommendations in Redis.</summary>
    public const string CartRecommender = "cart-recommender";

    public const string BasketRowsStore = "basket-rows";
    public const string CartsStore = "carts";
    /// <summary>Repartition topic name suffix: the full name is <c>{applicationId}-basket-rows-repartition</c>.</summary>
    public const string BasketRowsRepartition = "basket-rows";

    /// <summary>Selectable groups of topologies for <c>cartxsell run --topologies</c>.</summary>
    public const string Learner = "learner";
    public const string Recommender = "recommender";
    public static readonly IReadOnlyList<string> Selectable = [Learner, Recommender];
}
