using CartCrossSell.Contracts;

namespace CartCrossSell.Web.Tests;

/// <summary>Cart values as the recommender writes them.</summary>
internal static class Values
{
    public static readonly DateTimeOffset At = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    public static RecommendedAddOn AddOn(string cartId, string sku, decimal price) => new()
    {
        Sku = sku, VariantId = sku + "-v", Title = "ITEM " + sku, Price = price, Score = 0.5, Reason = "often bought with your cart", VariantReason = "best seller",
        AddToCart = new OneClickAdd { CartId = cartId, Sku = sku, VariantId = sku + "-v" },
    };

    public static CartRecommendation Treatment(string cartId, long version, params string[] skus) => new()
    {
        CartId = cartId, Version = version, ExperimentId = "x", CartValue = 20m, Strategy = "basket-aware", GeneratedAt = At, EventTimestamp = At,
        AddOns = skus.Select((s, i) => AddOn(cartId, s, 3m + i)).ToList(),
    };

    public static CartRecommendation Holdout(string cartId, long version) => Treatment(cartId, version) with
    {
        Cohort = Cohorts.Holdout, AddOns = [], WithheldAddOns = ["22328"],
    };
}
