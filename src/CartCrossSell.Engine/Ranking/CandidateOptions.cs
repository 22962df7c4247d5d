namespace CartCrossSell.Engine.Ranking;

/// <summary>Where a candidate add-on came from; a candidate may come from several sources.</summary>
[Flags]
public enum CandidateSource : byte
{
    None = 0,
    /// <summary>Bought with the whole basket: recency-weighted cosine summed over every cart item.</summary>
    Basket = 1,
    /// <summary>Bought with the last one or two items added.</summary>
    LastItems = 2,
    /// <summary>Added right after or right before a cart item in past orders (order of addition).</summary>
    Sequence = 4,
    /// <summary>Popular items of the leaf categories most often bought with the cart's categories.</summary>
    Category = 8,
    /// <summary>The store's best sellers (the evidence-free fallback).</summary>
    Popular = 16,
    /// <summary>In the past baskets most like the whole cart (<see cref="SimilarBaskets"/>).</summary>
    SimilarBaskets = 32,
}

/// <summary>How many candidates each source contributes to the union the ranker scores.</summary>
public sealed record CandidateOptions
{
    public int BasketDepth { get; init; } = 100;
    public int LastItemsDepth { get; init; } = 40;
    public int SequenceDepth { get; init; } = 40;
    public int CategoryDepth { get; init; } = 40;
    public int PopularDepth { get; init; } = 20;
    /// <summary>
    /// The similar-baskets source's top. Default 20: on validation as good as 40 (the first guess) on both stores and ten
    /// fewer candidates per cart to score (docs/engine.md, "Similar baskets"); 10 lost a little on Online Retail.
    /// </summary>
    public int SimilarBasketsDepth { get; init; } = 20;

    /// <summary>Complementary leaf categories whose popular items the category source offers. Default 5.</summary>
    public int ComplementCategories { get; init; } = 5;

    /// <summary>Popular items taken from each complementary category. Default 10.</summary>
    public int ItemsPerCategory { get; init; } = 10;

    /// <summary>Recency weights of the basket source and features (as <see cref="RecommendationOptions.RecencyDecay"/>).</summary>
    public double RecencyDecay { get; init; } = 0.5;
    public double RecencyFloor { get; init; } = 0.2;

    /// <summary>Shrinkage lambda of the cosine: n / (n + lambda) with n the pair count. Default 1.</summary>
    public double Shrinkage { get; init; } = 1.0;

    /// <summary>
    /// The most similar past baskets the similar-baskets source scores, and the newest baskets of each cart item it
    /// compares with the cart. Default null: the index's own (<see cref="SimilarBasketsOptions"/>). A trained model
    /// records the values it was fitted with, so it is served with them whatever the index's settings.
    /// </summary>
    public int? SimilarBasketsNeighbors { get; init; }
    public int? SimilarBasketsSamplePerItem { get; init; }

    /// <summary>
    /// The default depths with the recency weights and shrinkage of the cart rules: what the serving ranker uses, and
    /// so what its model must be trained with (features computed otherwise would not be the ones it is served).
    /// </summary>
    public static CandidateOptions For(RecommendationOptions ranking) => new()
    {
        RecencyDecay = ranking.RecencyDecay,
        RecencyFloor = ranking.RecencyFloor,
        Shrinkage = ranking.Shrinkage,
    };

    public void Validate()
    {
        foreach (var (name, depth) in new[] { (nameof(BasketDepth), BasketDepth), (nameof(LastItemsDepth), LastItemsDepth),
                     (nameof(SequenceDepth), SequenceDepth), (nameof(CategoryDepth), CategoryDepth), (nameof(PopularDepth), PopularDepth), (nameof(SimilarBasketsDepth), SimilarBasketsDepth),
                     (nameof(ComplementCategories), ComplementCategories), (nameof(ItemsPerCategory), ItemsPerCategory) })
            if (depth is < 0 or > 10_000) throw new ArgumentOutOfRangeException(name, depth, $"{name} must be between 0 and 10000");
        if (RecencyDecay is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(RecencyDecay), RecencyDecay, "must be in [0, 1]");
        if (RecencyFloor is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(RecencyFloor), RecencyFloor, "must be in [0, 1]");
        if (!(Shrinkage >= 0 && double.IsFinite(Shrinkage))) throw new ArgumentOutOfRangeException(nameof(Shrinkage), Shrinkage, "must be finite and not negative");
        if (SimilarBasketsNeighbors is < 1 or > 100_000)
            throw new ArgumentOutOfRangeException(nameof(SimilarBasketsNeighbors), SimilarBasketsNeighbors, "must be between 1 and 100000");
        if (SimilarBasketsSamplePerItem is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(SimilarBasketsSamplePerItem), SimilarBasketsSamplePerItem, "must be between 1 and 1000000");
    }

    /// <summary>These options with the similar baskets read as <paramref name="index"/> reads them, where they leave the reading to the index.</summary>
    public CandidateOptions ReadingSimilarBasketsAs(SimilarBasketsOptions index) => this with
    {
        SimilarBasketsNeighbors = SimilarBasketsNeighbors ?? index.Neighbors,
        SimilarBasketsSamplePerItem = SimilarBasketsSamplePerItem ?? index.SamplePerItem,
    };

    /// <summary>Every setting by name (the similar baskets' reading only when set), as a model records them.</summary>
    public IEnumerable<(string Name, double Value)> Settings()
    {
        yield return (nameof(BasketDepth), BasketDepth);
        yield return (nameof(LastItemsDepth), LastItemsDepth);
        yield return (nameof(SequenceDepth), SequenceDepth);
        yield return (nameof(CategoryDepth), CategoryDepth);
        yield return (nameof(PopularDepth), PopularDepth);
        yield return (nameof(SimilarBasketsDepth), SimilarBasketsDepth);
        yield return (nameof(ComplementCategories), ComplementCategories);
        yield return (nameof(ItemsPerCategory), ItemsPerCategory);
        yield return (nameof(RecencyDecay), RecencyDecay);
        yield return (nameof(RecencyFloor), RecencyFloor);
        yield return (nameof(Shrinkage), Shrinkage);
        if (SimilarBasketsNeighbors is { } neighbors) yield return (nameof(SimilarBasketsNeighbors), neighbors);
        if (SimilarBasketsSamplePerItem is { } sample) yield return (nameof(SimilarBasketsSamplePerItem), sample);
    }

    /// <summary>
    /// Options from recorded settings; an unknown name, or a count that is not a whole number, is not a model this engine
    /// can serve. Ranges are checked where the model is built (<see cref="RankingModel"/> validates them).
    /// </summary>
    internal static CandidateOptions FromSettings(IEnumerable<(string Name, double Value)> settings)
    {
        var options = new CandidateOptions();
        foreach (var (name, value) in settings)
        {
            options = name switch
            {
                nameof(BasketDepth) => options with { BasketDepth = Count(name, value) },
                nameof(LastItemsDepth) => options with { LastItemsDepth = Count(name, value) },
                nameof(SequenceDepth) => options with { SequenceDepth = Count(name, value) },
                nameof(CategoryDepth) => options with { CategoryDepth = Count(name, value) },
                nameof(PopularDepth) => options with { PopularDepth = Count(name, value) },
                nameof(SimilarBasketsDepth) => options with { SimilarBasketsDepth = Count(name, value) },
                nameof(ComplementCategories) => options with { ComplementCategories = Count(name, value) },
                nameof(ItemsPerCategory) => options with { ItemsPerCategory = Count(name, value) },
                nameof(RecencyDecay) => options with { RecencyDecay = value },
                nameof(RecencyFloor) => options with { RecencyFloor = value },
                nameof(Shrinkage) => options with { Shrinkage = value },
                nameof(SimilarBasketsNeighbors) => options with { SimilarBasketsNeighbors = Count(name, value) },
                nameof(SimilarBasketsSamplePerItem) => options with { SimilarBasketsSamplePerItem = Count(name, value) },
                _ => throw new InvalidDataException($"candidate setting '{name}' is unknown to this engine"),
            };
        }
        return options;

        static int Count(string name, double value) =>
            value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue
                ? (int)value
                : throw new InvalidDataException($"candidate setting '{name}' is {value}, not a whole number");
    }
}
