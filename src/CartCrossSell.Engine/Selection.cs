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

    /// <summary>
    /// The <paramref name="k"/>-th largest of <paramref name="values"/> (1: the largest; equal values count each), found
    /// in <paramref name="scratch"/> (a copy, reordered; as long as the values) by quickselect. Each partition step
    /// moves every value without a branch on its comparison, which on values in no order mispredicts half the time.
    /// Values must not be NaN. <paramref name="k"/> from 1 to the number of values.
    /// </summary>
    public static double KthLargest(ReadOnlySpan<double> values, int k, Span<double> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, values.Length);
        values.CopyTo(scratch);
        var items = scratch[..values.Length];
        int lo = 0, hi = items.Length - 1, target = k - 1;
        var budget = 2 * BitOperations.Log2((uint)items.Length) + 4;
        while (hi > lo)
        {
            if (budget-- == 0)
            {
                items[lo..(hi + 1)].Sort(static (a, b) => b.CompareTo(a));
                break;
            }
            var mid = lo + (hi - lo) / 2;
            // Median of three, larger first, moved to hi as the pivot.
            if (items[mid] > items[lo]) Swap(items, lo, mid);
            if (items[hi] > items[lo]) Swap(items, lo, hi);
            if (items[hi] > items[mid]) Swap(items, mid, hi);
            Swap(items, mid, hi);
            var pivot = items[hi];
            var store = lo;
            for (var i = lo; i < hi; i++)
            {
                var value = items[i];
                items[i] = items[store];
                items[store] = value;
                store += value > pivot ? 1 : 0;
            }
            Swap(items, store, hi); // the pivot at its place: everything before it is larger
            if (store == target) break;
            if (store < target) lo = store + 1;
            else hi = store - 1;
        }
        return items[target];
    }

    private static void Swap<T>(Span<T> items, int a, int b) => (items[a], items[b]) = (items[b], items[a]);
}
