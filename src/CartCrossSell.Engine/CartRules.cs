namespace CartCrossSell.Engine;

/// <summary>An add-on that passed the cart rules: its item, the one-click variant and the factor the rules apply.</summary>
public readonly record struct QualifiedAddOn(CatalogItem Item, string VariantId, string VariantReason, double Factor);

/// <summary>
/// The seed's hard rules for one cart, whatever ranked the candidate: never an item in the cart, never out of stock,
/// never a substitute of a cart item, never at or above <see cref="RecommendationOptions.MaxPriceShare"/> of the cart
/// value, always a one-click variant (rules 3 to 5). The factor it returns is the price-band preference times the
/// margin boost (times the undecided-variant penalty under <see cref="UndecidedVariantPolicy.Penalize"/>); the price is
/// always the catalog's full price, and never in another currency than the cart's (when both are known).
/// </summary>
public sealed class CartRules
{
    private readonly Basket _basket;
    private readonly ICatalog _catalog;
    private readonly RecommendationOptions _o;
    private readonly Func<CatalogItem, bool> _isSubstitute;
    private readonly double _cartValue;
    private string[]? _cartLeaves;
    private IReadOnlyList<CartAttribute>? _cartAttributes;

    /// <param name="isSubstitute">
    /// Decides whether a same-category item is a substitute of the cart; default: the category rule (any item in
    /// the leaf category of a cart item, unless the category is multi-buy).
    /// </param>
    public CartRules(Basket basket, ICatalog catalog, RecommendationOptions options, Func<CatalogItem, bool>? isSubstitute = null)
    {
        _basket = basket;
        _catalog = catalog;
        _o = options;
        _cartValue = (double)basket.Value;
        _isSubstitute = isSubstitute ?? (item => IsInCartCategory(item.LeafCategory));
    }

    /// <summary>Whether <paramref name="leaf"/> is the leaf category of a cart item and not a multi-buy category.</summary>
    public bool IsInCartCategory(string leaf) => IsInCartCategory(leaf.AsSpan());

    /// <summary>
    /// The same for a name not cut out as a string (a category row's key past its prefix): a cart has a handful of
    /// leaf categories, so a linear search of them, with no set built per cart and no string per category asked.
    /// </summary>
    public bool IsInCartCategory(ReadOnlySpan<char> leaf)
    {
        if (leaf.IsEmpty) return false;
        foreach (var cartLeaf in CartLeaves())
            if (leaf.SequenceEqual(cartLeaf)) return !_o.MultiBuyCategories.Contains(cartLeaf);
        return false;
    }

    private string[] CartLeaves()
    {
        if (_cartLeaves is { } known) return known;
        var leaves = new List<string>(_basket.Lines.Count);
        foreach (var line in _basket.Lines)
            if (_catalog.Find(line.Sku)?.LeafCategory is { Length: > 0 } leaf && !leaves.Contains(leaf)) leaves.Add(leaf);
        return _cartLeaves = [.. leaves];
    }

    /// <summary>
    /// The rules for one known catalog item: false when it must not be shown, or when its score
    /// (<paramref name="relevance"/> times the factor) cannot beat <paramref name="mustBeat"/> (checked before the
    /// variant, the costliest rule).
    /// </summary>
    public bool TryQualify(CatalogItem item, double relevance, double mustBeat, out QualifiedAddOn qualified)
    {
        qualified = default;
        if (_basket.Contains(item.Sku) || !item.InStock) return false;
        if (_basket.Currency is { } currency && item.Currency is { } priced && !string.Equals(currency, priced, StringComparison.Ordinal)) return false;
        if (_o.ExcludeSubstitutes && _isSubstitute(item)) return false;

        var factor = 1 + _o.MarginWeight * Math.Clamp(item.MarginRate ?? 0, 0, 1);
        if (_cartValue > 0 && item.Price > 0)
        {
            var share = (double)item.Price / _cartValue;
            if (share >= _o.MaxPriceShare) return false;
            factor *= AddOnRanker.PriceBandPreference(share, _o);
        }
        if (mustBeat > 0 && relevance * factor <= mustBeat) return false;

        var choice = item.Variants.Count == 0 && !item.NeedsFitDecision
            ? new VariantChoice(item.Sku, "single product without variants")
            : VariantSelector.Choose(item, _cartAttributes ??= VariantSelector.CartAttributes(_basket, _catalog), _o);
        var variantId = choice.VariantId ?? item.Sku;
        var variantReason = choice.Reason;
        if (!choice.Decided)
        {
            if (_o.UndecidedVariants == UndecidedVariantPolicy.Exclude) return false;
            var fallback = item.Variants.FirstOrDefault(v => v.InStock);
            if (item.Variants.Count > 0 && fallback is null) return false;
            variantId = fallback?.VariantId ?? item.Sku;
            variantReason = $"{choice.Reason}: first variant in stock, score penalised";
            factor *= _o.UndecidedVariantPenalty;
        }
        qualified = new QualifiedAddOn(item, variantId, variantReason, factor);
        return true;
    }
}
