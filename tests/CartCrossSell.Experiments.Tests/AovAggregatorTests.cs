using CartCrossSell.Experiments.Statistics;

namespace CartCrossSell.Experiments.Tests;

public sealed class AovAggregatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 5, 0, 0, 0, TimeSpan.Zero);

    internal static SessionOutcome Outcome(string key, Cohort cohort, decimal revenue, DateTimeOffset exposedAt, int orders = -1, int crossSellLines = 0,
        decimal crossSellRevenue = 0m, string experimentId = "exp", double share = 0.1) => new()
    {
        SessionKey = key,
        SessionId = key,
        SubjectId = key,
        ExperimentId = experimentId,
        Salt = "salt",
        HoldoutShare = share,
        Cohort = cohort,
        ExposedAt = exposedAt,
        WindowStart = exposedAt,
        WindowEnd = exposedAt.AddMinutes(5),
        Revenue = revenue,
        Orders = orders >= 0 ? orders : revenue > 0 ? 1 : 0,
        CrossSellLines = crossSellLines,
        CrossSellRevenue = crossSellRevenue,
    };

    [Fact]
    public void Welch_comparison_matches_a_hand_computation()
    {
        // Reference figures computed independently (Python statistics + numerical integration of the t density).
        var at = new DateTimeOffset(2026, 3, 2, 10, 15, 0, TimeSpan.Zero);
        decimal[] treatment = [0m, 50m, 100m, 30m, 0m, 75.5m];
        decimal[] holdout = [0m, 40m, 20m, 0m, 10m];
        var changes = treatment.Select((r, i) => Outcome($"t{i}", Cohort.Treatment, r, at))
            .Concat(holdout.Select((r, i) => Outcome($"h{i}", Cohort.Holdout, r, at)))
            .Select(SessionOutcomeChange.Closed);
        var aggregate = new AovAggregator().ApplyAll(changes, Now).Single(a => a.Window == WindowKind.Total);
        var c = aggregate.Comparison;

        Assert.Equal(28.583333333333336, c.IncrementalRevenuePerSession!.Value, 1e-12);
        Assert.Equal(18.166093263121944, c.StandardError!.Value, 1e-10);
        Assert.Equal(6.892712111708447, c.DegreesOfFreedom!.Value, 1e-9);
        Assert.Equal(1.5734441588142067, c.TStatistic!.Value, 1e-10);
        Assert.Equal(0.16027812851954212, c.PValue!.Value, 1e-7);
        Assert.False(c.Significant);
        Assert.Equal(204.16666666666669, c.LiftPercent!.Value, 1e-9);
        var q = StudentT.Quantile(0.975, c.DegreesOfFreedom.Value);
        Assert.Equal(28.583333333333336 - q * 18.166093263121944, c.IncrementalRevenuePerSessionCi!.Lower, 1e-9);
        Assert.Equal(28.583333333333336 + q * 18.166093263121944, c.IncrementalRevenuePerSessionCi.Upper, 1e-9);
        Assert.Equal(0.95, c.ConfidenceLevel);

        var t = aggregate.Treatment;
        Assert.Equal(6, t.Sums.ExposedSessions);
        Assert.Equal(4, t.Sums.ConvertedSessions);
        Assert.Equal(255.5m, t.Sums.Revenue);
        Assert.Equal(0m + 2500m + 10000m + 900m + 0m + 5700.25m, t.Sums.RevenueSquares);
        Assert.Equal(4.0 / 6, t.ConversionRate!.Value, 1e-15);
        Assert.Equal(255.5m / 4, t.AovPerOrder);
        Assert.Equal(255.5m / 6, t.RevenuePerSession);
        Assert.Equal(Math.Sqrt(1644.0416666666667), t.RevenuePerSessionStdDev!.Value, 1e-9);
    }

    [Fact]
    public void A_wider_confidence_level_gives_a_wider_interval()
    {
        var outcomes = SessionSimulator.Generate(new SimulationSettings { Sessions = 2_000 }, 5);
        var at95 = SessionSimulator.Total(outcomes).Comparison.IncrementalRevenuePerSessionCi!;
        var at99 = SessionSimulator.Total(outcomes, new AovAggregatorOptions { ConfidenceLevel = 0.99 }).Comparison.IncrementalRevenuePerSessionCi!;
        Assert.True(at99.Lower < at95.Lower && at99.Upper > at95.Upper);
    }

    [Fact]
    public void Outcomes_land_in_their_exposure_hour_day_and_the_running_total_and_move_when_revised()
    {
        var aggregator = new AovAggregator();
        var first = Outcome("s1", Cohort.Treatment, 10m, new DateTimeOffset(2026, 3, 2, 10, 15, 0, TimeSpan.Zero));
        var touched = aggregator.Apply(SessionOutcomeChange.Closed(first), Now);
        Assert.Equal([WindowKind.Hour, WindowKind.Day, WindowKind.Total], touched.Select(a => a.Window));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero), touched[0].WindowStart);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 11, 0, 0, TimeSpan.Zero), touched[0].WindowEnd);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), touched[1].WindowStart);
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 0, 0, 0, TimeSpan.Zero), touched[1].WindowEnd);
        Assert.Equal(first.ExposedAt, touched[2].WindowStart);
        Assert.Equal(Now, touched[2].WindowEnd);
        Assert.All(touched, a => Assert.Equal(Now, a.ComputedAt));

        // A late view moves the exposure into the previous hour: out of 10:00, into 09:00, the same day and total.
        var revised = first with { ExposedAt = new DateTimeOffset(2026, 3, 2, 9, 50, 0, TimeSpan.Zero), Revenue = 30m, Revision = 1 };
        var after = aggregator.Apply(SessionOutcomeChange.Revised(first, revised), Now);
        Assert.Equal(4, after.Count);
        var tenOClock = after.Single(a => a.Window == WindowKind.Hour && a.WindowStart.Hour == 10);
        var nineOClock = after.Single(a => a.Window == WindowKind.Hour && a.WindowStart.Hour == 9);
        Assert.Equal(0, tenOClock.Treatment.Sums.ExposedSessions);
        Assert.Equal(0m, tenOClock.Treatment.Sums.Revenue);
        Assert.Equal(1, nineOClock.Treatment.Sums.ExposedSessions);
        var total = after.Single(a => a.Window == WindowKind.Total);
        Assert.Equal(1, total.Treatment.Sums.ExposedSessions);
        Assert.Equal(30m, total.Treatment.Sums.Revenue);
        Assert.Equal(900m, total.Treatment.Sums.RevenueSquares);
        Assert.Equal(revised.ExposedAt, total.WindowStart);

        // A retraction takes it back everywhere.
        var gone = aggregator.Apply(SessionOutcomeChange.Retracted(revised), Now);
        Assert.All(gone, a => Assert.Equal(CohortSums.Empty, a.Treatment.Sums));
    }

    [Fact]
    public void Accumulating_changes_without_building_aggregates_gives_the_aggregates_applying_them_gives()
    {
        var outcomes = SessionSimulator.Generate(new SimulationSettings { Sessions = 500 }, 11);
        var applied = new AovAggregator();
        var accumulated = new AovAggregator();
        foreach (var outcome in outcomes)
        {
            applied.Apply(SessionOutcomeChange.Closed(outcome), Now);
            accumulated.Accumulate(SessionOutcomeChange.Closed(outcome));
        }
        var revised = outcomes[0] with { Revenue = outcomes[0].Revenue + 12.5m, Revision = outcomes[0].Revision + 1 };
        applied.Apply(SessionOutcomeChange.Revised(outcomes[0], revised), Now);
        accumulated.Accumulate(SessionOutcomeChange.Revised(outcomes[0], revised));

        Assert.Equal(applied.Snapshot(Now), accumulated.Snapshot(Now));
        Assert.True(accumulated.WindowCount > 3);
    }

    [Fact]
    public void Retracting_what_was_never_added_is_refused()
    {
        var aggregator = new AovAggregator();
        var ghost = Outcome("ghost", Cohort.Holdout, 5m, Now);
        Assert.Throws<InvalidOperationException>(() => aggregator.Apply(SessionOutcomeChange.Retracted(ghost), Now));
        aggregator.Apply(SessionOutcomeChange.Closed(Outcome("real", Cohort.Treatment, 5m, Now)), Now);
        Assert.Throws<InvalidOperationException>(() => aggregator.Apply(SessionOutcomeChange.Retracted(ghost), Now));
    }

    [Fact]
    public void One_experiment_cannot_mix_configured_splits()
    {
        var aggregator = new AovAggregator();
        aggregator.Apply(SessionOutcomeChange.Closed(Outcome("a", Cohort.Treatment, 5m, Now, share: 0.1)), Now);
        Assert.Throws<ArgumentException>(() => aggregator.Apply(SessionOutcomeChange.Closed(Outcome("b", Cohort.Treatment, 5m, Now, share: 0.2)), Now));
    }

    [Fact]
    public void Experiments_are_aggregated_apart()
    {
        var aggregator = new AovAggregator();
        aggregator.ApplyAll(
        [
            SessionOutcomeChange.Closed(Outcome("a", Cohort.Treatment, 5m, Now, experimentId: "one")),
            SessionOutcomeChange.Closed(Outcome("b", Cohort.Treatment, 7m, Now, experimentId: "two")),
        ], Now);
        var totals = aggregator.Snapshot(Now).Where(a => a.Window == WindowKind.Total).ToArray();
        Assert.Equal(["one", "two"], totals.Select(a => a.ExperimentId));
        Assert.Equal([5m, 7m], totals.Select(a => a.Treatment.Sums.Revenue));
    }

    [Fact]
    public void Sample_ratio_check_computes_the_chi_square_against_the_configured_split()
    {
        var balanced = AovStatistics.CheckSampleRatio(900, 100, 0.1, 0.001);
        Assert.Equal(0.0, balanced.ChiSquare, 1e-12);
        Assert.Equal(1.0, balanced.PValue, 1e-12);
        Assert.False(balanced.Mismatch);

        var fiftyFifty = AovStatistics.CheckSampleRatio(500, 500, 0.1, 0.001);
        Assert.Equal(400.0 * 400 / 100 + 400.0 * 400 / 900, fiftyFifty.ChiSquare, 1e-9);
        Assert.True(fiftyFifty.Mismatch);
        Assert.Equal(0.5, fiftyFifty.ObservedHoldoutShare);

        // 870/130 of 1000: chi-square = 10, p = 0.00157: below 0.01 but not below the default 0.001.
        var borderline = AovStatistics.CheckSampleRatio(870, 130, 0.1, 0.001);
        Assert.Equal(10.0, borderline.ChiSquare, 1e-9);
        Assert.Equal(0.0015654022580025, borderline.PValue, 1e-12);
        Assert.False(borderline.Mismatch);
        Assert.True(AovStatistics.CheckSampleRatio(870, 130, 0.1, 0.01).Mismatch);

        var empty = AovStatistics.CheckSampleRatio(0, 0, 0.1, 0.001);
        Assert.False(empty.Mismatch);
        Assert.Null(empty.ObservedHoldoutShare);
    }

    [Fact]
    public void Naive_figure_compares_acceptors_with_the_rest_of_treatment_and_is_labelled_biased()
    {
        var at = Now.AddDays(-1);
        var aggregate = new AovAggregator().ApplyAll(
        [
            SessionOutcomeChange.Closed(Outcome("a", Cohort.Treatment, 120m, at, crossSellLines: 1, crossSellRevenue: 20m)),
            SessionOutcomeChange.Closed(Outcome("b", Cohort.Treatment, 80m, at, orders: 2, crossSellLines: 2, crossSellRevenue: 30m)),
            SessionOutcomeChange.Closed(Outcome("c", Cohort.Treatment, 60m, at)),
            SessionOutcomeChange.Closed(Outcome("d", Cohort.Treatment, 0m, at)),
            SessionOutcomeChange.Closed(Outcome("e", Cohort.Holdout, 500m, at)),
        ], Now).Single(a => a.Window == WindowKind.Total);
        var naive = aggregate.Naive;
        Assert.Equal(2, naive.AcceptedSessions);
        Assert.Equal(2, naive.NotAcceptedSessions);
        Assert.Equal(100m, naive.AcceptedRevenuePerSession);
        Assert.Equal(30m, naive.NotAcceptedRevenuePerSession);
        Assert.Equal(70m, naive.RevenuePerSessionDifference);
        Assert.Equal(200m / 3, naive.AcceptedAovPerOrder);
        Assert.Equal(60m, naive.NotAcceptedAovPerOrder);
        Assert.True(naive.Biased);
        Assert.StartsWith("biased", naive.Label);
        Assert.Equal(0.5, aggregate.Treatment.CrossSellAttachRate);
        Assert.Equal(3, aggregate.Treatment.Sums.CrossSellLines);
        Assert.Equal(50m, aggregate.Treatment.Sums.CrossSellRevenue);
        Assert.Equal(0.0, aggregate.Holdout.CrossSellAttachRate);
    }

    [Fact]
    public void Statistics_are_absent_rather_than_wrong_while_a_cohort_is_too_small()
    {
        var aggregate = new AovAggregator().Apply(SessionOutcomeChange.Closed(Outcome("a", Cohort.Treatment, 10m, Now)), Now)[2];
        Assert.Null(aggregate.Comparison.IncrementalRevenuePerSession);
        Assert.Null(aggregate.Comparison.PValue);
        Assert.False(aggregate.Comparison.Significant);
        Assert.Null(aggregate.Holdout.RevenuePerSession);
        Assert.Null(aggregate.Naive.AcceptedRevenuePerSession);
    }

    [Fact]
    public void Eviction_forgets_old_hour_and_day_windows_but_keeps_the_running_total()
    {
        var aggregator = new AovAggregator();
        aggregator.Apply(SessionOutcomeChange.Closed(Outcome("a", Cohort.Treatment, 10m, new DateTimeOffset(2026, 3, 2, 10, 15, 0, TimeSpan.Zero))), Now);
        Assert.Equal(3, aggregator.WindowCount);
        Assert.Equal(1, aggregator.EvictWindowsEndingBefore(new DateTimeOffset(2026, 3, 2, 11, 0, 0, TimeSpan.Zero)));
        Assert.Equal(1, aggregator.EvictWindowsEndingBefore(new DateTimeOffset(2026, 3, 4, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(1, aggregator.WindowCount);
        Assert.True(aggregator.TryGet(new AggregateKey("exp", "salt", WindowKind.Total, AggregateKey.TotalKeyStart), Now, out var total));
        Assert.Equal(1, total!.Treatment.Sums.ExposedSessions);
    }
}
