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
        var remaining = item.Variants.Where(v => v.InStock).ToList();

        var reasons = new List<string>();
        var bestSellerFor = new List<string>();
        var dimensions = remaining
            .SelectMany(v => v.Attributes.Keys)
            .Select(NormalizeName)
            .Distinct(StringComparer.Ordinal)
            .Where(d => remaining.Select(v => ValueOf(v, d)).Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
            .OrderBy(d => SizeMapping.IsSizeAttribute(d) ? 0 : 1).ThenBy(d => d, StringComparer.Ordinal)
            .ToList();

        foreach (var dimension in dimensions)
        {
            var values = remaining.Select(v => ValueOf(v, dimension)).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (values.Count <= 1) continue;
            var chosen = Infer(dimension, values, cart);
            if (chosen is { } c)
            {
                remaining = remaining.Where(v => string.Equals(ValueOf(v, dimension), c.Value, StringComparison.OrdinalIgnoreCase)).ToList();
                reasons.Add(c.Reason);
                continue;
            }
            if (options.BestSellerAttributes.Contains(dimension) && remaining.Any(v => v.UnitsSold is > 0))
            {
                bestSellerFor.Add(dimension);
                continue;
            }
            return new VariantChoice(null, $"{dimension} cannot be inferred from the cart");
        }

        if (remaining.Count == 1) return new VariantChoice(remaining[0].VariantId, string.Join("; ", reasons));
        if (remaining.Count == 0 || remaining.All(v => v.UnitsSold is null or 0) && bestSellerFor.Count == 0)
            return new VariantChoice(null, "several variants and none can be inferred from the cart");
        var best = remaining.OrderByDescending(v => v.UnitsSold ?? 0).ThenBy(v => v.VariantId, StringComparer.Ordinal).First();
        var what = bestSellerFor.Count > 0 ? string.Join(" and ", bestSellerFor) : "variant";
        reasons.Add($"best-selling {what}");
        return new VariantChoice(best.VariantId, string.Join("; ", reasons));
    }

    private static string? ValueOf(CatalogVariant variant, string dimension)
    {
        foreach (var (name, value) in variant.Attributes)
            if (NormalizeName(name) == dimension) return value;
        return null;
    }

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
