namespace CartCrossSell.Engine.Evaluation;

/// <summary>One line of a historical order, in the order it was added (or printed on the invoice).</summary>
public sealed record EvalLine(string Sku, int Quantity = 1, decimal UnitPrice = 0m);

/// <summary>A completed order as the offline evaluation sees it.</summary>
public sealed record EvalOrder(string OrderId, DateTimeOffset Timestamp, IReadOnlyList<EvalLine> Lines);

/// <summary>Which item of a test basket is hidden.</summary>
public enum HoldoutProtocol
{
    /// <summary>The last distinct item added: what a cart page shows right after an add.</summary>
    LastAdded,
    /// <summary>A random distinct item (seeded per order): the whole basket is the context.</summary>
    RandomItem,
}

public static class Strategies
{
    public const string Popularity = "popularity";
    public const string LastItem = AddOnRanker.LastItem;
    public const string BasketAware = AddOnRanker.BasketAware;
    /// <summary>Unweighted sum of co-occurrence counts over the basket (baseline).</summary>
    public const string BasketCounts = "basket-counts";
    /// <summary>Unweighted sum of cosine similarities over the basket (baseline).</summary>
    public const string BasketCosine = "basket-cosine";
    public const string Learned = Ranking.LearnedAddOnRanker.Learned;
    /// <summary>Suffix of the rows evaluated with the merchandising rules of <c>--rules</c>.</summary>
    public const string WithRules = " + rules";
    /// <summary>Suffix of a baseline's row held to the cart rules (<see cref="Evaluation.Baselines.UnderCartRules"/>), evaluated with a catalog.</summary>
    public const string UnderCartRules = " (cart rules)";

    /// <summary>The simple baselines a ranker must beat.</summary>
    public static readonly IReadOnlyList<string> Baselines = [Popularity, LastItem, BasketCounts, BasketCosine];
}

/// <summary>Share of hidden items the learned ranker's candidates held, per source and in union, with the mean union size.</summary>
public sealed record CandidateRecall(HoldoutProtocol Protocol, int Baskets, IReadOnlyDictionary<string, double> BySource, double Union, double MeanCandidates);

/// <summary>Which test baskets count.</summary>
public enum HoldoutTargets
{
    /// <summary>
    /// Only baskets whose hidden item the category rule lets through: not in the leaf category of an item left in the
    /// cart (not multi-buy) and priced below MaxPriceShare of the rest of the cart. The same baskets for every strategy;
    /// without a catalog every basket is eligible. The heuristic's substitute rule, not the learned ranker's (which
    /// allows same-leaf items the orders buy together): on these baskets the learned ranker loses exactly the hits its
    /// rule earns, so this is for measuring the heuristic's rules, not for comparing the two.
    /// </summary>
    Eligible,
    /// <summary>Every basket with enough items, whatever the hidden item.</summary>
    All,
}

/// <summary>Options of the offline evaluation.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The most recent share of orders (by time, then order id) is the test set. Default 0.2.</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Seeds the random-item protocol. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Which baskets count. Default <see cref="HoldoutTargets.All"/>: every strategy on every basket, the rules' cost included.</summary>
    public HoldoutTargets Targets { get; init; } = HoldoutTargets.All;

    /// <summary>Test baskets need at least this many distinct items. Default 3.</summary>
    public int MinBasketItems { get; init; } = 3;

    public LearningOptions Learning { get; init; } = new();

    /// <summary>The past baskets the learned ranker's similar-baskets source reads: the training orders' newest.</summary>
    public Ranking.SimilarBasketsOptions SimilarBaskets { get; init; } = new();

    /// <summary>The engine's options (MaxAddOns is raised to 10 internally for MRR@10; the top 3 are unchanged by it).</summary>
    public RecommendationOptions Recommendation { get; init; } = new();

    /// <summary>Further basket-aware configurations to compare, by label (e.g. one per similarity measure).</summary>
    public IReadOnlyList<(string Label, RecommendationOptions Options)> Variants { get; init; } = [];

    /// <summary>
    /// A learned ranker to evaluate beside the baselines (trained by the caller on the training part only, e.g.
    /// <c>RankerTrainer</c> on <see cref="OfflineEvaluation.Split"/>'s train orders); null evaluates none.
    /// </summary>
    public Ranking.RankingModel? Model { get; init; }

    /// <summary>Further learned configurations (other cart options for the same model), by label.</summary>
    public IReadOnlyList<(string Label, RecommendationOptions Options)> LearnedVariants { get; init; } = [];

    /// <summary>
    /// Merchandising rules to price: when set, basket-aware and learned are also evaluated with them ("+ rules"
    /// rows), so the difference is what the rules cost (or gain) in HR@3. Diversity applies to every rule-abiding row.
    /// </summary>
    public Merchandising.MerchandisingRuleSet? Merchandising { get; init; }

    /// <summary>The test carts' currency and country (markets and limits rules read them); default unknown.</summary>
    public string? CartCurrency { get; init; }
    public string? CartCountry { get; init; }

    public void Validate()
    {
        if (TestFraction is not (> 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(TestFraction), "must be in (0, 1)");
        if (MinBasketItems < 2) throw new ArgumentOutOfRangeException(nameof(MinBasketItems), "must be at least 2");
        Recommendation.Validate();
        foreach (var (_, o) in Variants) o.Validate();
        foreach (var (_, o) in LearnedVariants) o.Validate();
    }
}

/// <summary>The metrics of one strategy under one protocol. Shares are over all recommendations shown (top 3).</summary>
public sealed record StrategyResult(
    string Strategy,
    HoldoutProtocol Protocol,
    int Baskets,
    double HitRateAt1,
    double HitRateAt3,
    double NdcgAt3,
    double MrrAt10,
    double CatalogCoverage,
    double DuplicateShare,
    double? SubstituteShare,
    double? PriceBandShare,
    double MeanAddOns,
    double EmptyShare)
{
    /// <summary>Revenue of the hits per scored basket: the hidden line's value when it was among the add-ons shown.</summary>
    public double HitRevenuePerBasket { get; init; }
}

/// <summary>Everything one evaluation run measured.</summary>
public sealed record EvaluationReport(
    int Orders,
    int TrainOrders,
    int TestOrders,
    int TestBaskets,
    int CatalogSize,
    bool HasCatalog,
    DateTimeOffset SplitAt,
    IReadOnlyList<StrategyResult> Results,
    IReadOnlyList<string> Notes)
{
    /// <summary>Per protocol: test baskets left out because the engine may never show their hidden item.</summary>
    public IReadOnlyDictionary<HoldoutProtocol, int> IneligibleBaskets { get; init; } = new Dictionary<HoldoutProtocol, int>();

    /// <summary>Candidate recall of the learned ranker's sources, per protocol (empty without a model).</summary>
    public IReadOnlyList<CandidateRecall> CandidateRecall { get; init; } = [];

    /// <summary>The learned model's version, when one was evaluated.</summary>
    public string? ModelVersion { get; init; }
}
