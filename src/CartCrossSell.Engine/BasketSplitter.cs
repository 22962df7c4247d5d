namespace CartCrossSell.Engine;

/// <summary>The contribution of one order to one evidence row.</summary>
public sealed record RowContribution(string RowKey, double Weight, IReadOnlyList<Neighbor> Pairs);

/// <summary>
/// Turns one completed order into row contributions: one per distinct item (its pairs with every other item in the
/// order), one per distinct leaf category (its pairs with every other category), one for the basket count, and the
/// order-of-addition rows: for every distinct item, <c>next:</c> with the items added within
/// <c>sequenceWindow</c> distinct lines after it and <c>prev:</c> with those within as many lines before it (only
/// rows that have such a neighbour).
/// A streaming learner routes each contribution to the partition that owns the row; an in-memory learner applies
/// them directly. Both therefore learn exactly the same counts.
/// </summary>
public static class BasketSplitter
{
    public static IEnumerable<RowContribution> Split(
        IReadOnlyCollection<string> skus,
        Func<string, string?> leafCategoryOf,
        double weight,
        int sequenceWindow = LearningOptions.DefaultSequenceWindow)
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

        if (sequenceWindow <= 0) yield break;
        for (var i = 0; i < items.Length; i++)
        {
            var after = Math.Min(items.Length - 1, i + sequenceWindow) - i;
            if (after > 0)
            {
                var pairs = new Neighbor[after];
                for (var j = 0; j < after; j++) pairs[j] = new Neighbor(RowKeys.Item(items[i + 1 + j]), weight);
                yield return new RowContribution(RowKeys.Next(items[i]), weight, pairs);
            }
            var before = i - Math.Max(0, i - sequenceWindow);
            if (before > 0)
            {
                var pairs = new Neighbor[before];
                for (var j = 0; j < before; j++) pairs[j] = new Neighbor(RowKeys.Item(items[i - 1 - j]), weight);
                yield return new RowContribution(RowKeys.Previous(items[i]), weight, pairs);
            }
        }
    }
}
