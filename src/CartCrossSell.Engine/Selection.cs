using System.Numerics;

namespace CartCrossSell.Engine;

/// <summary>
/// The first few of many in a total order, without sorting them all: the selection the learner's rows (strongest
/// neighbours), the similar baskets (most similar first) and their source's top (highest scores) share.
/// </summary>
internal static class Selection
{
    /// <summary>
    /// Moves the <paramref name="count"/> first items in <paramref name="order"/> (a total order: equal items are the
    /// same item) to the front, in no particular order, and returns min(count, length): the set a full sort would put
    /// first.
    /// </summary>
    /// <remarks>
    /// Quickselect with median-of-three pivots. A range that does not shrink fast enough is sorted instead, so the worst
    /// case stays n log n. <typeparamref name="TOrder"/> is a struct, so each call site's comparisons are compiled in
    /// (a perf profile of the learner showed a delegate per comparison otherwise).
    /// </remarks>
    public static int SelectFirst<T, TOrder>(Span<T> items, int count, TOrder order) where TOrder : struct, IComparer<T>
    {
        if (count <= 0) return 0;
        if (count >= items.Length) return items.Length;
        int lo = 0, hi = items.Length - 1, target = count - 1;
        var budget = 2 * BitOperations.Log2((uint)items.Length) + 4;
        while (hi > lo)
        {
            if (budget-- == 0)
            {
                items[lo..(hi + 1)].Sort(order);
                break;
            }
            var mid = lo + (hi - lo) / 2;
            if (order.Compare(items[mid], items[lo]) < 0) Swap(items, lo, mid);
            if (order.Compare(items[hi], items[lo]) < 0) Swap(items, lo, hi);
            if (order.Compare(items[hi], items[mid]) < 0) Swap(items, mid, hi);
            Swap(items, mid, hi); // the median of the three is the pivot, at hi
            var pivot = items[hi];
            var store = lo;
            for (var i = lo; i < hi; i++)
                if (order.Compare(items[i], pivot) < 0) Swap(items, i, store++);
            Swap(items, store, hi); // the pivot at its place in the order: everything before it comes first
            if (store == target) break;
            if (store < target) lo = store + 1;
            else hi = store - 1;
        }
        return count;
    }

    private static void Swap<T>(Span<T> items, int a, int b) => (items[a], items[b]) = (items[b], items[a]);
}
