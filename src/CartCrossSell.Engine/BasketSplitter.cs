namespace CartCrossSell.Engine;

/// <summary>The contribution of one order to one evidence row.</summary>
public sealed record RowContribution(string RowKey, double Weight, IReadOnlyList<Neighbor> Pairs);

/// <summary>
/// Turns one completed order into row contributions: one per distinct item (its pairs with every other item in the
/// order), one per distinct leaf category (its pairs with every other category) and one for the basket count.
/// A streaming learner routes each contribution to the partition that owns the row; an in-memory learner applies
/// them directly. Both therefore learn exactly the same counts.
/// </summary>
public static class BasketSplitter
{
    public static IEnumerable<RowContribution> Split(
        IReadOnlyCollection<string> skus,
        Func<string, string?> leafCategoryOf,
        double weight)
    {
        var items = skus.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
        if (items.Length == 0) yield break;

        yield return new RowContribution(RowKeys.Baskets, weight, []);
        foreach (var sku in items)
        {
            var pairs = new Neighbor[items.Length - 1];
            var j = 0;
            foreach (var other in items)
                if (!ReferenceEquals(other, sku) && other != sku) pairs[j++] = new Neighbor(RowKeys.Item(other), weight);
            yield return new RowContribution(RowKeys.Item(sku), weight, pairs);
        }

        var categories = items.Select(leafCategoryOf).Where(c => !string.IsNullOrEmpty(c)).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var category in categories)
        {
            var pairs = categories.Where(c => c != category).Select(c => new Neighbor(RowKeys.Category(c!), weight)).ToArray();
            yield return new RowContribution(RowKeys.Category(category!), weight, pairs);
        }
    }
}
