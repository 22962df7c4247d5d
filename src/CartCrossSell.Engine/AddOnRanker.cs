namespace CartCrossSell.Engine;

/// <summary>One recommended add-on: full catalog price, a preselected variant, a score and the reasons.</summary>
public sealed record AddOn(
    string Sku,
    string VariantId,
    string Title,
    decimal Price,
    double Score,
    string Reason,
    string VariantReason);

/// <summary>The ranked add-ons for a basket (possibly none) and the strategy that produced them.</summary>
public sealed record AddOnList(IReadOnlyList<AddOn> AddOns, string Strategy)
{
    public static AddOnList Empty(string strategy) => new([], strategy);
}

/// <summary>
/// Ranks add-ons for a whole basket. Pure: no I/O, time arrives as a parameter.
/// </summary>
public sealed class AddOnRanker
{
    public const string BasketAware = "basket-aware";

    private readonly RecommendationOptions _options;

    public AddOnRanker(RecommendationOptions? options = null)
    {
        _options = options ?? new RecommendationOptions();
        _options.Validate();
    }

    public RecommendationOptions Options => _options;

    public AddOnList Rank(Basket basket, ICatalog catalog, IBasketEvidence evidence, DateTimeOffset now)
    {
        if (basket.IsEmpty) return AddOnList.Empty(BasketAware);

        var scores = new Dictionary<string, (double Score, List<string> Because)>(StringComparer.Ordinal);
        foreach (var line in basket.Lines)
        {
            var row = evidence.Find(RowKeys.Item(line.Sku));
            if (row is null || row.Weight <= 0) continue;
            var title = catalog.Find(line.Sku)?.Title ?? line.Sku;
            foreach (var n in row.Neighbors)
            {
                if (!RowKeys.IsItem(n.Key)) continue;
                var other = evidence.Find(n.Key);
                if (other is null || other.Weight <= 0) continue;
                var cosine = n.PairWeight / Math.Sqrt(row.Weight * other.Weight);
                var sku = RowKeys.SkuOf(n.Key);
                if (!scores.TryGetValue(sku, out var s)) s = (0, []);
                s.Because.Add(title);
                scores[sku] = (s.Score + cosine, s.Because);
            }
        }

        var maxPrice = basket.Value * (decimal)_options.MaxPriceShare;
        var ranked = new List<AddOn>();
        foreach (var (sku, (score, because)) in scores.OrderByDescending(s => s.Value.Score).ThenBy(s => s.Key, StringComparer.Ordinal))
        {
            if (basket.Contains(sku)) continue;
            var item = catalog.Find(sku);
            if (item is null || !item.InStock || item.Price >= maxPrice) continue;
            var variant = item.Variants.FirstOrDefault(v => v.InStock);
            if (item.Variants.Count > 0 && variant is null) continue;
            ranked.Add(new AddOn(
                sku,
                variant?.VariantId ?? sku,
                item.Title,
                item.Price,
                score,
                $"often bought with {string.Join(" and ", because.Take(2))}",
                item.Variants.Count <= 1 ? "only variant" : "first variant in stock"));
            if (ranked.Count == _options.MaxAddOns) break;
        }
        return new AddOnList(ranked, BasketAware);
    }
}
