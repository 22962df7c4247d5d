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

    /// <summary>
    /// Largest power of two a weight takes: 2^959 leaves a factor 2^64 below <see cref="double.MaxValue"/> (about
    /// 2^1024), so the sum of up to 2^64 weights stays finite, and 2^-959 is a normal double (no underflow to zero).
    /// Unclamped, with the default half-life (30 days) and landmark (2010), weights overflowed to infinity for
    /// orders after 2094-02 and underflowed to zero before 1921-10; a single order in year 9999 stopped the learner.
    /// </summary>
    public const double MaxExponent = 959;

    /// <summary>
    /// The weight one basket at <paramref name="at"/> adds: finite and positive for every <see cref="DateTimeOffset"/>.
    /// Outside <see cref="ExactFrom"/>..<see cref="ExactUntil"/> it is clamped (every order beyond the bound weighs
    /// the same); the service refuses to start when that window does not cover the times it accepts.
    /// </summary>
    public double WeightAt(DateTimeOffset at) =>
        Math.Pow(2, Math.Clamp((at - Landmark).TotalSeconds / HalfLife.TotalSeconds, -MaxExponent, MaxExponent));

    /// <summary>First time weighed exactly (earlier ones weigh as this one).</summary>
    public DateTimeOffset ExactFrom => Shift(-1);

    /// <summary>Last time weighed exactly (later ones weigh as this one).</summary>
    public DateTimeOffset ExactUntil => Shift(+1);

    private DateTimeOffset Shift(int sign)
    {
        var seconds = sign * HalfLife.TotalSeconds * MaxExponent;
        var room = (sign > 0 ? DateTimeOffset.MaxValue - Landmark : Landmark - DateTimeOffset.MinValue).TotalSeconds;
        return Math.Abs(seconds) >= room ? (sign > 0 ? DateTimeOffset.MaxValue : DateTimeOffset.MinValue) : Landmark.AddSeconds(seconds);
    }

    /// <summary>A stored weight expressed as a count of baskets as of <paramref name="now"/> (finite for finite weights).</summary>
    public double ToCount(double weight, DateTimeOffset now) => Math.Min(weight / WeightAt(now), double.MaxValue);
}
