namespace CartCrossSell.Engine;

/// <summary>What to do with an item whose one-click variant cannot be decided (rule 4).</summary>
public enum UndecidedVariantPolicy
{
    /// <summary>Drop the item (default): the cart page never shows an add-on that needs a size or fit decision.</summary>
    Exclude,
    /// <summary>Keep the item but multiply its score by <see cref="RecommendationOptions.UndecidedVariantPenalty"/>.</summary>
    Penalize,
}

/// <summary>How a same-category item is judged a substitute (rule 3).</summary>
public enum SubstituteEvidence
{
    /// <summary>Any item in the leaf category of a cart item is a substitute (unless the category is multi-buy).</summary>
    Category,
    /// <summary>The orders decide where they have evidence; the category rule where they have none.</summary>
    Learned,
}

/// <summary>
/// Every rule of the ranking, with its default. Documented in docs/engine.md ("Rules and options").
/// </summary>
public sealed record RecommendationOptions
{
    // ---- rule 1: similarity -------------------------------------------------------------------------------------

    /// <summary>The similarity between a cart item and a candidate. Default cosine (chosen by the offline evaluation).</summary>
    public SimilarityMeasure Similarity { get; init; } = SimilarityMeasure.Cosine;

    /// <summary>Shrinkage lambda: a pair seen in n (decayed) baskets counts n / (n + lambda). Default 1.</summary>
    public double Shrinkage { get; init; } = 1.0;

    // ---- rule 2: whole basket ------------------------------------------------------------------------------------

    /// <summary>
    /// Weight of a cart item by how recently it was added: the last item weighs 1, the one before it this factor,
    /// the one before that its square, and so on. 1 is a uniform sum over the basket; 0 is the last item only.
    /// Default 0.5.
    /// </summary>
    public double RecencyDecay { get; init; } = 0.5;

    /// <summary>
    /// No cart item weighs less than this, however early it was added, so a long basket still counts as a whole.
    /// Default 0.2 (with RecencyDecay 0.5: weights 1, 0.5, 0.25, 0.2, 0.2, ...; chosen by the offline evaluation).
    /// </summary>
    public double RecencyFloor { get; init; } = 0.2;

    // ---- rule 3: never what the basket already covers -------------------------------------------------------------

    /// <summary>Drop items in the same leaf category as a cart item (substitutes). Default true.</summary>
    public bool ExcludeSubstitutes { get; init; } = true;

    /// <summary>
    /// How the learned ranker decides that an item of a cart item's leaf category is a substitute. Default
    /// <see cref="SubstituteEvidence.Learned"/>: a complement where the orders bought the two together (at least
    /// <see cref="ComplementMinBaskets"/> baskets and at least as often as their popularity predicts), otherwise the
    /// category rule. The heuristic ranker always uses the category rule.
    /// </summary>
    public SubstituteEvidence Substitutes { get; init; } = SubstituteEvidence.Learned;

    /// <summary>Baskets (as of now) that must hold both items before a same-category pair counts as a complement. Default 2.</summary>
    public double ComplementMinBaskets { get; init; } = 2.0;

    /// <summary>Observed over expected co-occurrence a same-category pair needs to count as a complement. Default 1 (independence).</summary>
    public double ComplementMinLift { get; init; } = 1.0;

    /// <summary>Leaf categories where a second item of the same category is a complement, not a substitute (an override of the evidence).</summary>
    public IReadOnlySet<string> MultiBuyCategories { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    // ---- rule 4: friction-free addition --------------------------------------------------------------------------

    /// <summary>Items that need a fit decision, and items whose variant cannot be inferred. Default exclude.</summary>
    public UndecidedVariantPolicy UndecidedVariants { get; init; } = UndecidedVariantPolicy.Exclude;

    /// <summary>Score multiplier for undecided items under <see cref="UndecidedVariantPolicy.Penalize"/>. Default 0.1.</summary>
    public double UndecidedVariantPenalty { get; init; } = 0.1;

    /// <summary>
    /// Variant attributes for which the best-selling variant may be preselected when the cart does not tell
    /// (a colour or design is a matter of taste; a size is not). Default colour, color, design, pattern, print, scent, flavour.
    /// </summary>
    public IReadOnlySet<string> BestSellerAttributes { get; init; } =
        new HashSet<string>(["colour", "color", "design", "pattern", "print", "scent", "flavour", "flavor"], StringComparer.OrdinalIgnoreCase);

    // ---- rule 5: price positioning and margin --------------------------------------------------------------------

    /// <summary>Never recommend an item priced at or above this share of the cart value. Default 0.5.</summary>
    public double MaxPriceShare { get; init; } = 0.5;

    /// <summary>The preferred price band as shares of the cart value. Default 0.15 to 0.25.</summary>
    public double PriceBandLow { get; init; } = 0.15;
    public double PriceBandHigh { get; init; } = 0.25;

    /// <summary>
    /// Outside the band the preference halves for every this much share of the cart value away from it.
    /// Default 0.10 (an item at 35% of the cart scores half of the same item at 25%).
    /// </summary>
    public double PriceBandHalfDistance { get; init; } = 0.10;

    /// <summary>
    /// Relevance is multiplied by (1 + MarginWeight * marginRate): 0 ignores margin. Default 0.5, so a 60%-margin
    /// item gains 30% over a zero-margin one. Unknown margins count as 0.
    /// </summary>
    public double MarginWeight { get; init; } = 0.5;

    /// <summary>
    /// Price band and margin re-rank this many of the most relevant candidates (after the support threshold); a
    /// less relevant candidate is never shown. Bounds the catalog lookups per cart (at least MaxAddOns are always
    /// examined). Default 10.
    /// </summary>
    public int RerankDepth { get; init; } = 10;

    // ---- rule 6: few options --------------------------------------------------------------------------------------

    /// <summary>Show at most this many add-ons. Default 3.</summary>
    public int MaxAddOns { get; init; } = 3;

    /// <summary>Drop an add-on whose final score is below this share of the best one. Default 0.25.</summary>
    public double RelativeScoreFloor { get; init; } = 0.25;

    /// <summary>
    /// A candidate needs at least this many (decayed) baskets holding it together with some cart item; below
    /// that the pair is noise and the engine returns fewer add-ons or none. Default 1.
    /// </summary>
    public double MinSupport { get; init; } = 1.0;

    // ---- rule 7: cold start ---------------------------------------------------------------------------------------

    /// <summary>Fall back to category-level complementarity when item evidence yields nothing. Default true.</summary>
    public bool CategoryFallback { get; init; } = true;

    /// <summary>Complementary categories considered per cart category in the fallback. Default 5.</summary>
    public int FallbackCategories { get; init; } = 5;

    // ---- merchandising: diversity of the list ------------------------------------------------------------------------

    /// <summary>At most one add-on per leaf category, near-duplicate titles count as one (docs/merchandising.md).</summary>
    public Merchandising.DiversityOptions Diversity { get; init; } = new();

    // ---- catalog-less use -----------------------------------------------------------------------------------------

    /// <summary>
    /// Recommend items the catalog does not know (recommend-batch without a catalog): the rules that need categories,
    /// prices or variants are then skipped for them. Default false: an unknown item is never recommended.
    /// </summary>
    public bool AllowUnknownItems { get; init; }

    public void Validate()
    {
        if (MaxAddOns is < 1 or > 50) throw new ArgumentOutOfRangeException(nameof(MaxAddOns), MaxAddOns, "MaxAddOns must be between 1 and 50");
        if (MaxPriceShare is not (> 0 and <= 10)) throw new ArgumentOutOfRangeException(nameof(MaxPriceShare), MaxPriceShare, "MaxPriceShare must be in (0, 10]");
        if (PriceBandLow is not >= 0 || PriceBandHigh is not > 0 || !double.IsFinite(PriceBandHigh))
            throw new ArgumentOutOfRangeException(nameof(PriceBandLow), "the price band bounds must be positive");
        if (PriceBandLow > PriceBandHigh)
            throw new ArgumentException($"PriceBandLow ({PriceBandLow}) must not exceed PriceBandHigh ({PriceBandHigh})");
        if (PriceBandHalfDistance is not > 0 || !double.IsFinite(PriceBandHalfDistance)) throw new ArgumentOutOfRangeException(nameof(PriceBandHalfDistance), "must be finite and positive");
        if (Shrinkage is not >= 0 || !double.IsFinite(Shrinkage)) throw new ArgumentOutOfRangeException(nameof(Shrinkage), "must be finite and not negative");
        if (RecencyFloor is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(RecencyFloor), "must be in [0, 1]");
        if (RecencyDecay is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(RecencyDecay), "must be in [0, 1]");
        if (UndecidedVariantPenalty is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(UndecidedVariantPenalty), "must be in [0, 1]");
        if (MarginWeight is not >= 0 || !double.IsFinite(MarginWeight)) throw new ArgumentOutOfRangeException(nameof(MarginWeight), "must be finite and not negative");
        if (RelativeScoreFloor is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(RelativeScoreFloor), "must be in [0, 1]");
        if (RerankDepth < 1) throw new ArgumentOutOfRangeException(nameof(RerankDepth), "must be at least 1");
        if (MinSupport is not >= 0 || !double.IsFinite(MinSupport)) throw new ArgumentOutOfRangeException(nameof(MinSupport), "must be finite and not negative");
        if (FallbackCategories < 0) throw new ArgumentOutOfRangeException(nameof(FallbackCategories), "must not be negative");
        Diversity.Validate();
        if (!Enum.IsDefined(Similarity)) throw new ArgumentOutOfRangeException(nameof(Similarity));
        if (!Enum.IsDefined(Substitutes)) throw new ArgumentOutOfRangeException(nameof(Substitutes));
        if (ComplementMinBaskets < 0 || double.IsNaN(ComplementMinBaskets)) throw new ArgumentOutOfRangeException(nameof(ComplementMinBaskets), "must not be negative");
        if (ComplementMinLift < 0 || double.IsNaN(ComplementMinLift)) throw new ArgumentOutOfRangeException(nameof(ComplementMinLift), "must not be negative");
    }
}
