namespace CartCrossSell.Engine.Merchandising;

/// <summary>
/// How varied one cart's list must be (docs/merchandising.md): at most <see cref="MaxPerLeafCategory"/> add-ons of one
/// leaf category, and near-duplicates (the same product in another colour or design) count as one. Bound from
/// <c>Recommender:Ranking:Diversity</c>.
/// </summary>
public sealed record DiversityOptions
{
    /// <summary>At most this many add-ons per leaf category in a list; 0 turns the rule off. Default 1.</summary>
    public int MaxPerLeafCategory { get; init; } = 1;

    /// <summary>Show at most one of a family of near-duplicate titles. Default true.</summary>
    public bool NearDuplicates { get; init; } = true;

    /// <summary>
    /// Words that name a variant rather than a product (colours, patterns, generic design words); removed from titles
    /// before they are compared. Domain-neutral by default; add a store's own design vocabulary in configuration.
    /// </summary>
    public IReadOnlySet<string> VariantWords { get; init; } = new HashSet<string>(
    [
        "colour", "color", "design", "pattern", "print", "printed", "style", "assorted", "mixed", "plain", "multi",
        "striped", "stripe", "stripes", "spot", "spots", "spotty", "dot", "dots", "dotty", "polka", "check", "checked", "floral",
        "red", "blue", "green", "yellow", "orange", "purple", "violet", "pink", "black", "white", "grey", "gray", "brown",
        "beige", "cream", "ivory", "gold", "silver", "navy", "teal", "turquoise", "aqua", "lilac", "lavender", "mint",
        "khaki", "olive", "burgundy", "maroon", "coral", "peach", "natural", "light", "dark", "pastel", "neon",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Two titles that differ in more than the variant words are still near-duplicates when each has at most this many
    /// words the other lacks ("kit skulls" / "kit empire") and they share at least <see cref="NearDuplicateMinSharedWords"/>.
    /// Default 1; 0 keeps only titles equal apart from variant words.
    /// </summary>
    public int NearDuplicateMaxDifferingWords { get; init; } = 1;

    /// <summary>Words two titles must share before differing words are allowed. Default 2 ("lunch bag" and "lunch box" are not one product).</summary>
    public int NearDuplicateMinSharedWords { get; init; } = 2;

    /// <summary>The variant words in lower case, whatever the configured set's comparer (titles are compared in lower case).</summary>
    /// <remarks>
    /// Computed once per set of words, not at every ranked cart: kept beside the set object itself (not in a field of
    /// this record, which would take part in its equality and be copied by <c>with</c>).
    /// </remarks>
    public IReadOnlySet<string> LowerCaseVariantWords() =>
        LowerCase.GetValue(VariantWords, words => new HashSet<string>(words.Select(w => w.ToLowerInvariant()), StringComparer.Ordinal));

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlySet<string>, IReadOnlySet<string>> LowerCase = new();

    public void Validate()
    {
        if (MaxPerLeafCategory < 0) throw new ArgumentOutOfRangeException(nameof(MaxPerLeafCategory), "Diversity:MaxPerLeafCategory must not be negative (0 turns it off)");
        if (NearDuplicateMaxDifferingWords < 0) throw new ArgumentOutOfRangeException(nameof(NearDuplicateMaxDifferingWords), "Diversity:NearDuplicateMaxDifferingWords must not be negative");
        if (NearDuplicateMinSharedWords < 1) throw new ArgumentOutOfRangeException(nameof(NearDuplicateMinSharedWords), "Diversity:NearDuplicateMinSharedWords must be at least 1");
    }
}
