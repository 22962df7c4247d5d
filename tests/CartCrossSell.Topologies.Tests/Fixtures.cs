using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies.Tests;

/// <summary>A small curated store: running gear, bottles, snacks, with what shoppers bought together.</summary>
internal static class Store
{
    /// <summary>Yesterday at noon (UTC): recent enough for every plausibility check, never ahead of the clock.</summary>
    public static readonly DateTimeOffset Now = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1).AddHours(12);

    public static CatalogItem Product(string sku, string leaf, decimal price, bool inStock = true) => new()
    {
        Sku = sku, Title = sku.Replace('-', ' '), CategoryPath = ["sport", leaf], Price = price, InStock = inStock, MarginRate = 0.4,
        Variants = [new CatalogVariant { VariantId = sku + "-one" }],
    };

    public static InMemoryCatalog Catalog() => new([
        Product("running-shoes", "shoes", 120m),
        Product("socks", "socks", 12m),
        Product("water-bottle", "bottles", 15m),
        Product("energy-gels", "nutrition", 18m),
        Product("headband", "accessories", 14m),
        Product("trail-shoes", "shoes", 130m),
    ]);

    /// <summary>Orders a store would have: shoes with socks, bottles with gels, the lot with a headband.</summary>
    public static BasketLearner Learned()
    {
        var learner = new BasketLearner();
        var catalog = Catalog();
        string? Leaf(string sku) => catalog.Find(sku)?.LeafCategory;
        for (var i = 0; i < 20; i++)
        {
            learner.AddOrder(["running-shoes", "socks", "energy-gels"], Now.AddDays(-1), Leaf);
            learner.AddOrder(["water-bottle", "energy-gels", "headband"], Now.AddDays(-1), Leaf);
            learner.AddOrder(["running-shoes", "trail-shoes"], Now.AddDays(-1), Leaf);
            learner.AddOrder(["socks", "headband"], Now.AddDays(-1), Leaf);
        }
        return learner;
    }

    public static CartEvent Added(string cartId, string sku, int quantity, decimal price) => new()
    {
        EventId = Guid.NewGuid().ToString(), Type = CartEventType.ItemAdded, CartId = cartId, SessionId = "s-" + cartId,
        Sku = sku, VariantId = sku + "-one", Quantity = quantity, UnitPrice = price, Timestamp = Now,
    };
}

/// <summary>Captures what the recommender writes to Redis (at once, as the production writer does) and counts commit barriers.</summary>
internal sealed class CapturingSink : ICartRecommendationSink
{
    public List<CartRecommendation> Written { get; } = [];
    public int Flushes { get; private set; }
    public void Enqueue(CartRecommendation value) => Written.Add(value);

    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Flushes++;
        return Task.CompletedTask;
    }

    public CartRecommendation Latest(string cartId) => Written.Last(w => w.CartId == cartId);
}
