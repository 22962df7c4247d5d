using CartCrossSell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCrossSell.Engine.Tests;

/// <summary>
/// The learner's decay arithmetic over the whole <see cref="DateTimeOffset"/> range: no timestamp, and no sum of
/// many of them, may give a weight that is infinite, NaN or zero (any of them stopped the learner or poisoned a row).
/// </summary>
public class DecayArithmeticTests
{
    /// <summary>Any instant from year 1 to year 9999, with the extremes and the old overflow points drawn often.</summary>
    private static Gen<DateTimeOffset> AnyInstant() =>
        Gen.OneOf(
            Gen.Elements(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DecayClock.DefaultLandmark,
                new DateTimeOffset(2094, 3, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(1921, 9, 1, 0, 0, 0, TimeSpan.Zero)),
            Gen.Choose(0, int.MaxValue).Zip(Gen.Choose(0, int.MaxValue)).Select(p =>
                new DateTimeOffset((long)(((double)p.Item1 * int.MaxValue + p.Item2) / ((double)int.MaxValue * int.MaxValue) * DateTimeOffset.MaxValue.Ticks), TimeSpan.Zero)));

    private static Gen<TimeSpan> AnyHalfLife() => Gen.Choose(1, 3650 * 24).Select(hours => TimeSpan.FromHours(hours));

    [Property(MaxTest = 500)]
    public Property Every_instant_weighs_a_finite_positive_amount() =>
        Prop.ForAll(AnyInstant().ToArbitrary(), AnyHalfLife().ToArbitrary(), AnyInstant().ToArbitrary(), (at, halfLife, landmark) =>
        {
            var weight = new DecayClock(halfLife, landmark).WeightAt(at);
            return double.IsFinite(weight) && weight > 0;
        });

    [Property(MaxTest = 300)]
    public Property Rows_built_from_orders_at_any_instants_stay_finite_and_counts_too() =>
        Prop.ForAll(AnyInstant().ListOf().ToArbitrary(), AnyInstant().ToArbitrary(), AnyHalfLife().ToArbitrary(), (instants, now, halfLife) =>
        {
            var clock = new DecayClock(halfLife);
            var row = new EvidenceAccumulator("item:a", 4);
            foreach (var at in instants)
            {
                var w = clock.WeightAt(at);
                // Many orders at the same extreme instant: the headroom of 2^64 must hold for a realistic count.
                for (var copies = 0; copies < 1000; copies++) row.Apply(w, [new Neighbor("item:b", w)]);
            }
            var published = row.ToRow();
            return double.IsFinite(published.Weight) && published.Neighbors.All(n => double.IsFinite(n.PairWeight))
                   && double.IsFinite(clock.ToCount(published.Weight, now));
        });

    [Fact]
    public void Inside_the_exact_window_weights_still_halve_every_half_life()
    {
        var clock = new DecayClock(TimeSpan.FromDays(30));
        var now = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(0.5, clock.WeightAt(now.AddDays(-30)) / clock.WeightAt(now), 12);
        // Measured window of the default clock (30 days from 2010-01-01): 959 half-lives either side.
        Assert.Equal(1931, clock.ExactFrom.Year);
        Assert.Equal(2088, clock.ExactUntil.Year);
        // Beyond it, weights are clamped, not infinite: the old arithmetic gave +Infinity after 2094 and 0 before 1921.
        Assert.Equal(clock.WeightAt(clock.ExactUntil), clock.WeightAt(DateTimeOffset.MaxValue));
        Assert.True(double.IsPositiveInfinity(Math.Pow(2, (new DateTimeOffset(2094, 3, 1, 0, 0, 0, TimeSpan.Zero) - clock.Landmark).TotalDays / 30)));
        Assert.Equal(0.0, Math.Pow(2, (new DateTimeOffset(1921, 9, 1, 0, 0, 0, TimeSpan.Zero) - clock.Landmark).TotalDays / 30));
    }
}
