namespace CartCrossSell.Engine;

/// <summary>The preselected variant of an add-on, or why none could be chosen.</summary>
public sealed record VariantChoice(string? VariantId, string Reason)
{
    /// <summary>True when a one-click variant was found.</summary>
    public bool Decided => VariantId is not null;
}

/// <summary>A size, colour or other attribute of something already in the cart, most recent first.</summary>
public sealed record CartAttribute(string Name, string Value, string SourceTitle);

/// <summary>
/// Chooses the variant an add-on is added with in one click (rule 4): the only variant in stock; else the attributes
/// inferred from the cart (sizes through <see cref="SizeMapping"/>, other attributes by the same value); else, for
/// attributes where taste and not fit decides (<see cref="RecommendationOptions.BestSellerAttributes"/>), the
/// best-selling variant. Items that need a fit decision, and items whose variant stays undecided, get no variant.
/// </summary>
public static class VariantSelector
{
    /// <summary>The attributes of the cart's lines (the line's own, else its catalog variant's), most recent first.</summary>
    public static IReadOnlyList<CartAttribute> CartAttributes(Basket basket, ICatalog catalog)
    {
        var result = new List<CartAttribute>();
        for (var i = basket.Lines.Count - 1; i >= 0; i--)
        {
            var line = basket.Lines[i];
            var item = catalog.Find(line.Sku);
            var title = item?.Title ?? line.Sku;
            IReadOnlyDictionary<string, string>? attributes = line.Attributes.Count > 0 ? line.Attributes : null;
            if (attributes is null && item is not null && line.VariantId is not null)
                attributes = item.Variants.FirstOrDefault(v => v.VariantId == line.VariantId)?.Attributes;
            if (attributes is null) continue;
            foreach (var (name, value) in attributes)
                if (!string.IsNullOrWhiteSpace(value))
                    result.Add(new CartAttribute(NormalizeName(name), value, title));
        }
        return result;
    }

    public static string NormalizeName(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        return n == "color" ? "colour" : n;
    }

    public static VariantChoice Choose(CatalogItem item, IReadOnlyList<CartAttribute> cart, RecommendationOptions options)
    {
        if (item.NeedsFitDecision) return new VariantChoice(null, "needs a fit or specification decision");
        if (item.Variants.Count == 0) return new VariantChoice(item.Sku, "single product without variants");
        // Most products have one variant in stock: decided without building any list (this runs for every qualified
        // candidate of every cart event).
        CatalogVariant? onlyInStock = null;
        var inStock = 0;
        for (var i = 0; i < item.Variants.Count; i++)
            if (item.Variants[i].InStock && inStock++ == 0) onlyInStock = item.Variants[i];
        if (inStock == 0) return new VariantChoice(null, "no variant in stock");
        if (inStock == 1)
            return new VariantChoice(onlyInStock!.VariantId, item.Variants.Count == 1 ? "only variant" : "only variant in stock");
        var offer = Offers.GetValue(item, Offer.Of);
        var remaining = new List<OfferedVariant>(offer.InStock);

        List<string>? reasons = null, bestSellerFor = null;
        var values = new List<string>();
        foreach (var dimension in offer.Dimensions)
        {
            values.Clear();
            foreach (var v in remaining)
                if (v.Values.TryGetValue(dimension, out var value) && value is not null && !values.Exists(x => string.Equals(x, value, StringComparison.OrdinalIgnoreCase)))
                    values.Add(value);
            if (values.Count <= 1) continue;
            var chosen = Infer(dimension, values, cart);
            if (chosen is { } c)
            {
                remaining.RemoveAll(v => !string.Equals(v.Values.GetValueOrDefault(dimension), c.Value, StringComparison.OrdinalIgnoreCase));
                (reasons ??= []).Add(c.Reason);
                continue;
            }
            if (options.BestSellerAttributes.Contains(dimension) && remaining.Exists(v => v.Variant.UnitsSold is > 0))
            {
                (bestSellerFor ??= []).Add(dimension);
                continue;
            }
            return new VariantChoice(null, $"{dimension} cannot be inferred from the cart");
        }

        if (remaining.Count == 1) return new VariantChoice(remaining[0].Variant.VariantId, reasons is null ? "" : string.Join("; ", reasons));
        if (remaining.Count == 0 || remaining.TrueForAll(v => v.Variant.UnitsSold is null or 0) && bestSellerFor is null)
            return new VariantChoice(null, "several variants and none can be inferred from the cart");
        var best = remaining[0].Variant;
        foreach (var v in remaining)
        {
            var (sold, bestSold) = (v.Variant.UnitsSold ?? 0, best.UnitsSold ?? 0);
            if (sold > bestSold || (sold == bestSold && string.CompareOrdinal(v.Variant.VariantId, best.VariantId) < 0)) best = v.Variant;
        }
        var what = bestSellerFor is not null ? string.Join(" and ", bestSellerFor) : "variant";
        (reasons ??= []).Add($"best-selling {what}");
        return new VariantChoice(best.VariantId, string.Join("; ", reasons));
    }

    /// <summary>
    /// What an item's variants offer whatever the cart: those in stock, each with its attributes under normalised
    /// names, and the dimensions on which they differ (sizes first, then by name). Kept per catalog item (items are
    /// immutable; a catalog update brings a new one): this ran for every qualified candidate of every cart event, and
    /// rebuilding it was a twentieth of the recommender's time.
    /// </summary>
    private sealed class Offer
    {
        public required OfferedVariant[] InStock { get; init; }
        public required string[] Dimensions { get; init; }

        public static Offer Of(CatalogItem item)
        {
            var inStock = item.Variants.Where(v => v.InStock).Select(OfferedVariant.Of).ToArray();
            var dimensions = inStock
                .SelectMany(v => v.Values.Keys)
                .Distinct(StringComparer.Ordinal)
                .Where(d => inStock.Select(v => v.Values.GetValueOrDefault(d)).Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
                .OrderBy(d => SizeMapping.IsSizeAttribute(d) ? 0 : 1).ThenBy(d => d, StringComparer.Ordinal)
                .ToArray();
            return new Offer { InStock = inStock, Dimensions = dimensions };
        }
    }

    /// <summary>A variant with its attributes by normalised name (the first attribute of each name, as listed).</summary>
    private sealed record OfferedVariant(CatalogVariant Variant, Dictionary<string, string> Values)
    {
        public static OfferedVariant Of(CatalogVariant variant)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in variant.Attributes) values.TryAdd(NormalizeName(name), value);
            return new OfferedVariant(variant, values);
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CatalogItem, Offer> Offers = new();

    private static (string Value, string Reason)? Infer(string dimension, IReadOnlyList<string> values, IReadOnlyList<CartAttribute> cart)
    {
        if (SizeMapping.IsSizeAttribute(dimension))
        {
            foreach (var a in cart)
            {
                if (!SizeMapping.IsSizeAttribute(a.Name)) continue;
                if (SizeMapping.Map(a.Value, values) is { } m)
                    return (m.Value, $"size {m.Value}: {m.Rule} {a.Value} of {a.SourceTitle}");
            }
            return null;
        }
        foreach (var a in cart)
        {
            if (a.Name != dimension) continue;
            var match = values.FirstOrDefault(v => string.Equals(v.Trim(), a.Value.Trim(), StringComparison.OrdinalIgnoreCase));
            if (match is not null) return (match, $"{dimension} {match} to match {a.SourceTitle}");
        }
        return null;
    }
}
