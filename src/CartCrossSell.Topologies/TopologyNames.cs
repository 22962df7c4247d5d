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
    /// <summary>merchandising-rules → dead letters for rule records the replicated rules table has to ignore (recommender group).</summary>
    public const string MerchandisingRuleValidator = "merchandising-rule-validator";

    public const string BasketRowsStore = "basket-rows";
    public const string CartsStore = "carts";
    /// <summary>Order ids the basket splitter has seen, with where (deduplication by order id).</summary>
    public const string OrderIdsStore = "order-ids";
    /// <summary>Repartition topic name suffix: the full name is <c>{applicationId}-learner-basket-rows-repartition</c>.</summary>
    public const string BasketRowsRepartition = "basket-rows";

    /// <summary>cart-events → cart views and one-click adds from the widget, re-keyed by session id → <see cref="SessionEventsRepartition"/>.</summary>
    public const string SessionCartSplitter = "session-cart-splitter";
    /// <summary>order-events → completed orders with a session id, re-keyed by session id → <see cref="SessionEventsRepartition"/>.</summary>
    public const string SessionOrderSplitter = "session-order-splitter";
    /// <summary>cross-sell-impressions → impressions with a session id, re-keyed by session id → <see cref="SessionEventsRepartition"/>.</summary>
    public const string SessionImpressionSplitter = "session-impression-splitter";
    /// <summary>session events → session windows (stores <see cref="SessionWindowsStore"/>, <see cref="SessionClockStore"/>) → session outcome upserts.</summary>
    public const string SessionOutcomes = "session-outcomes";
    /// <summary>session outcome upserts → the outcome table (store <see cref="AovSessionsStore"/>) and exact cohort sums per window → aov-aggregates.</summary>
    public const string AovAggregator = "aov-aggregator";

    public const string SessionWindowsStore = "session-windows";
    public const string SessionClockStore = "session-clock";
    /// <summary>Counts a task's commits (no data): logs are deleted only once their outcome is flushed.</summary>
    public const string SessionCommitsStore = "session-commits";
    public const string AovSessionsStore = "aov-sessions";
    /// <summary>Full name <c>{applicationId}-outcomes-session-events-repartition</c>, keyed by session id.</summary>
    public const string SessionEventsRepartition = "session-events";
    /// <summary>Full name <c>{applicationId}-outcomes-session-outcomes-repartition</c>, keyed by experiment id.</summary>
    public const string SessionOutcomesRepartition = "session-outcomes";

    /// <summary>order-events → admitted orders under one key → <see cref="RankerOrdersRepartition"/>.</summary>
    public const string RankerSampleRouter = "ranker-sample-router";
    /// <summary>admitted orders → the bounded sample (store <see cref="RankerSampleStore"/>) → trained models → ranking-models.</summary>
    public const string RankerModelTrainer = "ranker-model-trainer";
    /// <summary>The trainer's most recent orders, keyed by time then order id.</summary>
    public const string RankerSampleStore = "ranker-sample";
    /// <summary>Full name <c>{applicationId}-ranker-trainer-orders-repartition</c>, one key.</summary>
    public const string RankerOrdersRepartition = "orders";

    /// <summary>Selectable groups of topologies for <c>cartxsell run --topologies</c>.</summary>
    public const string Learner = "learner";
    public const string Recommender = "recommender";
    public const string Outcomes = "outcomes";
    public const string RankerTrainer = "ranker-trainer";
    public static readonly IReadOnlyList<string> Selectable = [Learner, Recommender, Outcomes, RankerTrainer];
    /// <summary>
    /// What an instance runs without <c>--topologies</c>: the learner and the recommender; the measurement and the
    /// in-stream training (a core for tens of seconds per training) are opt-in.
    /// </summary>
    public static readonly IReadOnlyList<string> Default = [Learner, Recommender];
}
