namespace CartCrossSell.Load;

/// <summary>Medians of a few runs (the mean of the middle two for an even count).</summary>
public static class Medians
{
    public static TimeSpan Of(IEnumerable<TimeSpan> values) => TimeSpan.FromTicks(Of(values.Select(v => v.Ticks)));

    public static long Of(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
