namespace CartCrossSell.Engine;

/// <summary>
/// The second key of a sort by two: entries sorted by a first key (a primitive sort, fast), then only each run of equal
/// first keys by the second (a comparer that reads strings, slow, so kept to the few entries that tie).
/// </summary>
internal static class TiedRuns
{
    /// <summary>
    /// After a sort of [<paramref name="start"/>, <paramref name="stop"/>) by <paramref name="keys"/>, sorts each run of
    /// equal keys in <paramref name="order"/> by <paramref name="ties"/>: every run that starts before
    /// <paramref name="runsStartingBefore"/> (default: all), each one whole, so which entries come before a cut there
    /// does not depend on the order the first sort left a run in.
    /// </summary>
    public static void Sort<TKey>(TKey[] keys, int[] order, int start, int stop, IComparer<int> ties, int runsStartingBefore = int.MaxValue)
        where TKey : IEquatable<TKey>
    {
        var last = Math.Min(stop, runsStartingBefore);
        for (int i = start, end; i < last; i = end)
        {
            for (end = i + 1; end < stop && keys[end].Equals(keys[i]); end++) { }
            if (end - i > 1) Array.Sort(order, i, end - i, ties);
        }
    }
}
