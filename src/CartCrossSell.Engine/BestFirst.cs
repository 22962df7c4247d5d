namespace CartCrossSell.Engine;

/// <summary>
/// The few best of many, best first, kept as a short list of indices: each offered index is inserted where it belongs
/// and the list is cut back to its limit. For choosing a handful of complementary categories among hundreds, where a
/// sort of all of them cost more than the few comparisons most of them fail at the end of the list. The order is given
/// once, not with every offer: a local function converted at each offer was a new delegate per category.
/// </summary>
/// <param name="best">The short list (at most <paramref name="limit"/> indices, best first); filled by <see cref="Offer"/>.</param>
/// <param name="comesBefore">Whether index a ranks before index b: a strict total order.</param>
internal readonly struct BestFirst(List<int> best, int limit, Func<int, int, bool> comesBefore)
{
    /// <summary>Offers <paramref name="index"/> to the short list.</summary>
    public void Offer(int index)
    {
        var at = best.Count;
        while (at > 0 && comesBefore(index, best[at - 1])) at--;
        if (at >= limit) return;
        best.Insert(at, index);
        if (best.Count > limit) best.RemoveAt(best.Count - 1);
    }
}
