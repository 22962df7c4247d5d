namespace CartCrossSell.Contracts;

/// <summary>The public topics of the service. Internal topics (changelogs, repartitions) derive from the application id.</summary>
public static class Topics
{
    public const string CartEvents = "cart-events";
    public const string OrderEvents = "order-events";
    public const string Catalog = "catalog";
    public const string ItemNeighbors = "item-neighbors";
    public const string DeadLetters = "dead-letters";
    public const string AovAggregates = "aov-aggregates";
    /// <summary>Compacted; key <c>serving</c>: the ranking model every recommender ranks with (binary, engine format); a tombstone returns them to the heuristic.</summary>
    public const string RankingModels = "ranking-models";
    public const string MerchandisingRules = "merchandising-rules";
    /// <summary>What the cart-page module showed, keyed by cart id (<see cref="CrossSellImpression"/>).</summary>
    public const string CrossSellImpressions = "cross-sell-impressions";
}
