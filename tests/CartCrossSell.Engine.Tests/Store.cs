using CartCrossSell.Engine;

namespace CartCrossSell.Engine.Tests;

/// <summary>A small shop for tests: a catalog, completed orders, carts and the ranker.</summary>
internal sealed class Store
{
    public static readonly DateTimeOffset Now = new(2011, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, CatalogItem> _items = new(StringComparer.Ordinal);

    public Store(LearningOptions? learning = null)
    {
        Learner = new BasketLearner(learning);
    }

    public BasketLearner Learner { get; }

    /// <summary>The same orders as past baskets (the learned ranker's similar-baskets source).</summary>
    public CartCrossSell.Engine.Ranking.SimilarBaskets Baskets { get; } = new();

    private int _orders;

    public InMemoryCatalog Catalog => new(_items.Values);

    public Store Item(
        string sku, string category, decimal price, string? title = null, double? margin = null,
        bool needsFit = false, bool inStock = true, params CatalogVariant[] variants)
    {
        _items[sku] = new CatalogItem
        {
            Sku = sku,
            Title = title ?? sku,
            CategoryPath = ["shop", category],
            Price = price,
            MarginRate = margin,
            NeedsFitDecision = needsFit,
            InStock = inStock,
            Variants = variants,
        };
        return this;
    }

    public static CatalogVariant Variant(string id, string attribute, string value, long? sold = null, bool inStock = true) =>
        new() { VariantId = id, Attributes = new Dictionary<string, string> { [attribute] = value }, UnitsSold = sold, InStock = inStock };

    /// <summary>Learns <paramref name="times"/> orders holding <paramref name="skus"/>, a day before <see cref="Now"/>.</summary>
    public Store Orders(int times, params string[] skus)
    {
        for (var i = 0; i < times; i++)
        {
            Learner.AddOrder(skus, Now.AddDays(-1), sku => _items.GetValueOrDefault(sku)?.LeafCategory);
            Baskets.Add($"order-{++_orders}", skus);
        }
        return this;
    }

    public Basket Cart(params string[] skus) =>
        new(skus.Select(s => new BasketLine { Sku = s, UnitPrice = _items.GetValueOrDefault(s)?.Price ?? 0m }));

    public Basket Cart(params BasketLine[] lines) => new(lines);

    public BasketLine Line(string sku, string? variantId = null, IReadOnlyDictionary<string, string>? attributes = null) => new()
    {
        Sku = sku,
        VariantId = variantId,
        Attributes = attributes ?? new Dictionary<string, string>(),
        UnitPrice = _items.GetValueOrDefault(sku)?.Price ?? 0m,
    };

    public AddOnList Recommend(Basket cart, RecommendationOptions? options = null, bool compact = false) =>
        new AddOnRanker(options, Learner.Clock).Rank(cart, Catalog, compact ? Learner.Compact() : Learner, Now);

    public IReadOnlyList<string> Skus(Basket cart, RecommendationOptions? options = null) =>
        Recommend(cart, options).AddOns.Select(a => a.Sku).ToList();
}
