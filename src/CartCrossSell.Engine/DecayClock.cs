namespace CartCrossSell.Engine;

/// <summary>
/// Exponential time decay on a landmark scale. An order at time t contributes 2^((t - landmark) / halfLife)
/// instead of 1, so old evidence shrinks relative to new evidence without ever rewriting stored counts, and rows
/// learned on different partitions stay comparable. <see cref="ToCount"/> turns a stored weight back into a
/// count as of a given time (needed only where absolute counts matter, such as shrinkage).
/// </summary>
public sealed class DecayClock
{
    public static readonly DateTimeOffset DefaultLandmark = new(2010, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public DecayClock(TimeSpan halfLife, DateTimeOffset? landmark = null)
    {
        if (halfLife <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(halfLife), "half-life must be positive");
        HalfLife = halfLife;
        Landmark = landmark ?? DefaultLandmark;
    }

    public TimeSpan HalfLife { get; }
    public DateTimeOffset Landmark { get; }

    /// <summary>The weight one basket at <paramref name="at"/> adds.</summary>
    public double WeightAt(DateTimeOffset at) => Math.Pow(2, (at - Landmark).TotalSeconds / HalfLife.TotalSeconds);

    /// <summary>A stored weight expressed as a count of baskets as of <paramref name="now"/>.</summary>
    public double ToCount(double weight, DateTimeOffset now) => weight / WeightAt(now);
}
