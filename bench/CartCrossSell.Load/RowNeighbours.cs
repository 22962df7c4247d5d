namespace CartCrossSell.Load;

/// <summary>
/// Which items a synthetic learner row of <c>make bench-rows</c> names as neighbours: alternately one near in number
/// (within <see cref="NearSpan"/>, a catalog's neighbourhood) and one anywhere; distinct, never the row's own item.
/// </summary>
public static class RowNeighbours
{
    public const int NearSpan = 500;

    /// <summary>
    /// <paramref name="count"/> distinct items among <paramref name="skus"/>, other than <paramref name="sku"/>. Once every
    /// item within reach is taken (an item at the edge of a small catalog asked for many neighbours: <c>--skus 1000
    /// --neighbors 999</c>) the rest are picked anywhere; a near pick alone would never find a new one and loop forever.
    /// Until then the draws are the ones the generator always made, so a run that ended before still sends the same rows.
    /// </summary>
    public static int[] Pick(int sku, int skus, int count, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(count, skus);
        var near = Math.Min(skus - 1, sku + NearSpan) - Math.Max(0, sku - NearSpan); // items within reach, the row's own excluded
        var chosen = new HashSet<int>();
        var nearChosen = 0;
        while (chosen.Count < count)
        {
            var other = chosen.Count % 2 == 0 && nearChosen < near
                ? sku + random.Next(-NearSpan, NearSpan + 1)
                : random.Next(skus);
            if (other != sku && other >= 0 && other < skus && chosen.Add(other) && Math.Abs(other - sku) <= NearSpan) nearChosen++;
        }
        return [.. chosen];
    }
}
