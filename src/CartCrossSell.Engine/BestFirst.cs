namespace CartCrossSell.Engine;

/// <summary>
/// The few best of many, best first, kept as a short list of indices: each offered index is inserted where it belongs
/// and the list is cut back to its limit. For choosing a handful of complementary categories among hundreds, where a
/// sort of all of them cost more than the few comparisons most of them fail at the end of the list.
/// </summary>
internal static class BestFirst
{
    /// <summary>
    /// Offers <paramref name="index"/> to <paramref name="best"/> (at most <paramref name="limit"/> indices, best first):
    /// <paramref name="comesBefore"/>(a, b) says whether a ranks before b, and must be a strict total order.
    /// </summary>
    public static void Offer(List<int> best, int limit, int index, Func<int, int, bool> comesBefore)
    {
        var at = best.Count;
        while (at > 0 && comesBefore(index, best[at - 1])) at--;
        if (at >= limit) return;
        best.Insert(at, index);
        if (best.Count > limit) best.RemoveAt(best.Count - 1);
    }
}
