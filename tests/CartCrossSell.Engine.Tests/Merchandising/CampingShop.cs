using CartCrossSell.Engine.Merchandising;

namespace CartCrossSell.Engine.Tests.Merchandising;

/// <summary>
/// A camping shop for merchandising tests: a tent (100) bought with a stove (8 orders), a lamp (6), a mat (5) and a
/// chair (4), every add-on at 20 (inside the price band), so the ranker alone shows stove, lamp, mat.
/// </summary>
internal sealed class CampingShop
{
    public static readonly DateTimeOffset Now = new(2011, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, CatalogItem> _items = new(StringComparer.Ordinal);
    public BasketLearner Learner { get; } = new();

    public CampingShop()
    {
        Item("tent", ["outdoor", "shelter", "tents"], 100m, "Dome tent")
            .Item("tent-2", ["outdoor", "shelter", "tents"], 20m, "Tunnel tent")
            .Item("stove", ["outdoor", "cooking", "stoves"], 20m, "Gas stove")
            .Item("lamp", ["outdoor", "lighting", "lamps"], 20m, "Camping lamp")
            .Item("mat", ["outdoor", "sleeping", "mats"], 20m, "Sleeping mat")
            .Item("chair", ["outdoor", "furniture", "chairs"], 20m, "Folding chair")
            .Item("knife", ["tools", "blades", "knives"], 20m, "Pocket knife")
            .Item("pricey", ["outdoor", "cooking", "grills"], 60m, "Grill");
        Orders(8, "tent", "stove").Orders(6, "tent", "lamp").Orders(5, "tent", "mat").Orders(4, "tent", "chair")
            .Orders(6, "tent", "pricey").Orders(3, "knife", "chair");
    }

    public CampingShop Item(string sku, string[] path, decimal price, string title, string? currency = null)
    {
        _items[sku] = new CatalogItem { Sku = sku, Title = title, CategoryPath = path, Price = price, Currency = currency };
        return this;
    }

    public CampingShop Orders(int times, params string[] skus)
    {
        for (var i = 0; i < times; i++) Learner.AddOrder(skus, Now.AddDays(-1), sku => _items.GetValueOrDefault(sku)?.LeafCategory);
        return this;
    }

    public InMemoryCatalog Catalog => new(_items.Values);

    public Basket Cart(string? currency = "GBP", string? country = null, params string[] skus) =>
        new(skus.Select(s => new BasketLine { Sku = s, UnitPrice = _items[s].Price })) { Currency = currency, Country = country };

    public Basket Tent => Cart("GBP", "GB", "tent");

    public AddOnList Recommend(Basket cart, params MerchandisingRule[] rules) => Recommend(cart, new RecommendationOptions(), rules);

    public AddOnList Recommend(Basket cart, RecommendationOptions options, params MerchandisingRule[] rules) =>
        new AddOnRanker(options, Learner.Clock).Rank(cart, Catalog, Learner, Now, new MerchandisingRuleSet(rules));

    public static IReadOnlyList<string> Skus(AddOnList list) => list.AddOns.Select(a => a.Sku).ToList();

    public static IReadOnlySet<string> Set(params string[] values) => new HashSet<string>(values, StringComparer.Ordinal);
}
