namespace CartCrossSell.Load;

/// <summary>Medians of a few runs (the mean of the middle two for an even count).</summary>
public static class Medians
{
    public static TimeSpan Of(IEnumerable<TimeSpan> values) => TimeSpan.FromTicks(Of(values.Select(v => v.Ticks)));

    /// <summary>The median of the values a run measured, the missing ones left out (not counted as 0); null when none was measured.</summary>
    public static TimeSpan? OfPresent(IEnumerable<TimeSpan?> values)
    {
        var present = values.OfType<TimeSpan>().ToArray();
        return present.Length == 0 ? null : Of(present);
    }

    public static long Of(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
