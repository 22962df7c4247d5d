using CartCrossSell.Engine.Evaluation;

namespace CartCrossSell.Ranking.Training;

/// <summary>
/// Whether the line order of a store's orders is the order its shoppers added items in, or a fixed sort order (a
/// point-of-sale export that lists every basket in catalog order, as the Groceries data set does): of the items listed
/// right next to each other, pairs seen next to each other in at least two orders, the share of those occurrences in
/// the pair's more common order. Shoppers add things in many orders (Online Retail's invoices: 0.75 over 330,310
/// occurrences; the December 2010 extract 0.72); a sort lists every pair one way (Groceries: 1.0 over 31,614).
/// </summary>
/// <remarks>
/// Why the trainer asks: a last-added task hides the item listed last. In a sorted file that is the item that sorts
/// last, so last-added tasks teach the sort order, a validation slice of the same file rewards it, and a model chosen
/// that way predicts "what sorts after the cart" for every cart; on Groceries with aisle categories it did, and fell to
/// 0.72 × basket cosine on the random-item protocol of the test slice (docs/engine.md). With a sort order there is no
/// order of addition to learn from, so the trainer fits random-item tasks only.
/// </remarks>
public sealed record LineOrder(double Consistency, long Occurrences)
{
    /// <summary>At or above this share the line order is taken as a sort order (a sort gives exactly 1).</summary>
    public const double SortOrderFrom = 0.99;

    /// <summary>Below this many occurrences of repeated pairs nothing is concluded (the order is taken as the shoppers').</summary>
    public const long MinOccurrences = 500;

    /// <summary>Whether the lines are in a fixed sort order rather than in the order items were added.</summary>
    public bool IsSortOrder => Occurrences >= MinOccurrences && Consistency >= SortOrderFrom;

    /// <summary>Measures the orders' distinct items, in line order (as the tasks read them).</summary>
    public static LineOrder Measure(IEnumerable<EvalOrder> orders)
    {
        var adjacent = new Dictionary<(string First, string Second), int>();
        foreach (var order in orders)
        {
            var skus = OfflineEvaluation.DistinctSkus(order);
            for (var i = 0; i + 1 < skus.Count; i++)
                adjacent[(skus[i], skus[i + 1])] = adjacent.GetValueOrDefault((skus[i], skus[i + 1])) + 1;
        }
        long agree = 0, occurrences = 0;
        foreach (var ((first, second), count) in adjacent)
        {
            var reverse = adjacent.GetValueOrDefault((second, first));
            // Each unordered pair once: from its ordinal-first spelling when both orders occur.
            if (reverse > 0 && string.CompareOrdinal(first, second) > 0) continue;
            var both = count + reverse;
            if (both < 2) continue;
            agree += Math.Max(count, reverse);
            occurrences += both;
        }
        return new LineOrder(occurrences == 0 ? 0 : (double)agree / occurrences, occurrences);
    }
}
