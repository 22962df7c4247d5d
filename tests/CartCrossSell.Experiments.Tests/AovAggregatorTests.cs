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
    public void Sessions_of_one_visitor_count_as_one_draw_in_the_variance_and_a_retraction_restores_the_visitor_sums_exactly()
    {
        var at = new DateTimeOffset(2026, 3, 2, 10, 15, 0, TimeSpan.Zero);
        SessionOutcome Of(string key, string visitor, Cohort cohort, decimal revenue) => Outcome(key, cohort, revenue, at) with { SubjectId = visitor };
        // Treatment: visitor a came twice (10 and 20), b once (0), c once (40); holdout: three visitors, one session each.
        var second = Of("t2", "a", Cohort.Treatment, 20m);
        SessionOutcome[] outcomes =
        [
            Of("t1", "a", Cohort.Treatment, 10m), second, Of("t3", "b", Cohort.Treatment, 0m), Of("t4", "c", Cohort.Treatment, 40m),
            Of("h1", "x", Cohort.Holdout, 5m), Of("h2", "y", Cohort.Holdout, 15m), Of("h3", "z", Cohort.Holdout, 25m),
        ];
        var aggregator = new AovAggregator();
        var total = aggregator.ApplyAll(outcomes.Select(SessionOutcomeChange.Closed), Now).Single(a => a.Window == WindowKind.Total);

        Assert.Equal(new VisitorSums(3, 30m * 30m + 0m + 40m * 40m, 30m * 2 + 0m + 40m, 4 + 1 + 1), total.Treatment.Visitors);
        Assert.Equal(new VisitorSums(3, 5m * 5m + 15m * 15m + 25m * 25m, 5m + 15m + 25m, 3), total.Holdout.Visitors);
        // By hand: treatment mean 17.5 over 4 sessions; the visitors' residuals R - 17.5·N are -5, -17.5 and 22.5, so
        // the mean's variance is 3/2 · 837.5 / 4² = 78.515625 with 2 degrees of freedom; the holdout's is Welch's 100 / 3, also 2.
        var (a, b) = (78.515625, 100.0 / 3);
        var c = total.Comparison;
        Assert.Equal(2.5, c.IncrementalRevenuePerSession!.Value, 12);
        Assert.Equal(Math.Sqrt(a + b), c.StandardError!.Value, 12);
        Assert.Equal((a + b) * (a + b) / (a * a / 2 + b * b / 2), c.DegreesOfFreedom!.Value, 9);
        Assert.True(c.StandardError > AovStatistics.Compare(total.Treatment.Sums, total.Holdout.Sums, 0.95).StandardError);

        // Without visitor a's second session every visitor has one session again: Welch's comparison, to the bit.
        var after = aggregator.Apply(SessionOutcomeChange.Retracted(second), Now).Single(x => x.Window == WindowKind.Total);
        Assert.Equal(new VisitorSums(3, 10m * 10m + 0m + 40m * 40m, 10m + 0m + 40m, 3), after.Treatment.Visitors);
        Assert.Equal(AovStatistics.Compare(after.Treatment.Sums, after.Holdout.Sums, 0.95), after.Comparison);

        // Every session of a cohort from one visitor: nothing to estimate the spread between visitors from.
        var alone = new AovAggregator().ApplyAll(
            [.. new[] { Of("t1", "a", Cohort.Treatment, 10m), Of("t2", "a", Cohort.Treatment, 20m), Of("h1", "x", Cohort.Holdout, 5m), Of("h2", "y", Cohort.Holdout, 6m) }
                .Select(SessionOutcomeChange.Closed)], Now).Single(x => x.Window == WindowKind.Total).Comparison;
        Assert.Equal(9.5, alone.IncrementalRevenuePerSession!.Value, 12);
        Assert.Null(alone.IncrementalRevenuePerSessionCi);
    }

    [Fact]
    public void A_closed_window_forgets_its_visitors_but_not_their_sums_and_a_change_after_that_counts_its_sessions_as_independent()
    {
        var hour1 = new DateTimeOffset(2026, 3, 2, 10, 15, 0, TimeSpan.Zero);
        var hour2 = hour1.AddHours(1);
        SessionOutcome Of(string key, string visitor, Cohort cohort, decimal revenue, DateTimeOffset at) => Outcome(key, cohort, revenue, at) with { SubjectId = visitor };
        SessionOutcome[] outcomes =
        [
            Of("t1", "a", Cohort.Treatment, 10m, hour1), Of("t2", "a", Cohort.Treatment, 20m, hour1), Of("t3", "b", Cohort.Treatment, 0m, hour1),
            Of("t4", "c", Cohort.Treatment, 40m, hour1), Of("h1", "x", Cohort.Holdout, 5m, hour1), Of("h2", "y", Cohort.Holdout, 15m, hour1),
            Of("t5", "a", Cohort.Treatment, 30m, hour2), Of("t6", "d", Cohort.Treatment, 0m, hour2), Of("h3", "z", Cohort.Holdout, 25m, hour2),
            Of("h4", "z", Cohort.Holdout, 35m, hour2), Of("h5", "w", Cohort.Holdout, 0m, hour2),
        ];
        var aggregator = new AovAggregator();
        var before = aggregator.ApplyAll(outcomes.Select(SessionOutcomeChange.Closed), Now);
        AovAggregate Hour(IEnumerable<AovAggregate> aggregates, DateTimeOffset at) =>
            aggregates.Single(a => a.Window == WindowKind.Hour && a.WindowStart == new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, TimeSpan.Zero));

        // Hour 1 has ended by the horizon (11:00); hour 2, the day and the running total have not.
        Assert.Equal(2, aggregator.ForgetVisitorsOfWindowsEndingBefore(hour2.AddMinutes(-15)));
        Assert.Equal(0, aggregator.ForgetVisitorsOfWindowsEndingBefore(hour2.AddMinutes(-15)));
        Assert.Equal(before, aggregator.Snapshot(Now));

        // A late session in hour 1: its sums still move, its visitor sums are unknown (sessions as independent there).
        var late = aggregator.Apply(SessionOutcomeChange.Closed(Of("t7", "a", Cohort.Treatment, 5m, hour1)), Now);
        var first = Hour(late, hour1);
        Assert.Equal(5, first.Treatment.Sums.ExposedSessions);
        Assert.Null(first.Treatment.Visitors);
        Assert.NotNull(first.Holdout.Visitors);
        Assert.Equal(AovStatistics.Compare(first.Treatment.Sums, first.Holdout.Sums, 0.95, null, first.Holdout.Visitors), first.Comparison);
        var total = late.Single(a => a.Window == WindowKind.Total);
        Assert.Equal(new VisitorSums(4, 65m * 65m + 0m + 40m * 40m + 0m, 65m * 4 + 0m + 40m + 0m, 16 + 1 + 1 + 1), total.Treatment.Visitors);
        // The treatment's sums to date are unknown from hour 1 on (hour 1 is in every later hour's); the holdout's still
        // end where the running total's are.
        Assert.Null(first.Treatment.VisitorsToDate);
        Assert.Null(Hour(late, hour2).Treatment.VisitorsToDate);
        Assert.Equal(total.Holdout.Visitors, Hour(late, hour2).Holdout.VisitorsToDate);

        // A restored add into an aggregator with forgotten tables (a start derives a new one): nothing before the
        // last forgotten window is known any more, so neither is any sum to date that includes it.
        aggregator.AddRestored(Of("h6", "v", Cohort.Holdout, 12m, hour2));
        Assert.Null(Hour(aggregator.Snapshot(Now), hour2).Holdout.VisitorsToDate);
        Assert.NotNull(Hour(aggregator.Snapshot(Now), hour2).Holdout.Visitors);
    }

    [Fact]
    public void The_sums_to_date_count_a_visitor_who_came_back_in_a_later_hour_once_as_the_running_total_does()
    {
        var hour1 = new DateTimeOffset(2026, 3, 2, 10, 15, 0, TimeSpan.Zero);
        var hour2 = hour1.AddHours(1);
        SessionOutcome Of(string key, string visitor, Cohort cohort, decimal revenue, DateTimeOffset at) => Outcome(key, cohort, revenue, at) with { SubjectId = visitor };
        var comeback = Of("t5", "a", Cohort.Treatment, 30m, hour2);
        var once = Of("t6", "d", Cohort.Treatment, 0m, hour2);
        SessionOutcome[] outcomes =
        [
            Of("t1", "a", Cohort.Treatment, 10m, hour1), Of("t2", "a", Cohort.Treatment, 20m, hour1), Of("t3", "b", Cohort.Treatment, 0m, hour1),
            Of("t4", "c", Cohort.Treatment, 40m, hour1), Of("h1", "x", Cohort.Holdout, 5m, hour1), Of("h2", "y", Cohort.Holdout, 15m, hour1),
            comeback, once, Of("h3", "z", Cohort.Holdout, 25m, hour2), Of("h4", "z", Cohort.Holdout, 35m, hour2), Of("h5", "y", Cohort.Holdout, 0m, hour2),
        ];
        var aggregator = new AovAggregator();
        var aggregates = aggregator.ApplyAll(outcomes.Select(SessionOutcomeChange.Closed), Now);
        AovAggregate Window(IEnumerable<AovAggregate> all, WindowKind kind, DateTimeOffset at) => all.Single(a => a.Window == kind
            && (kind == WindowKind.Total || a.WindowStart == new DateTimeOffset(at.Year, at.Month, at.Day, kind == WindowKind.Hour ? at.Hour : 0, 0, 0, TimeSpan.Zero)));

        // Hour 1 to date is hour 1. Hour 2 to date is the whole experiment: visitor a (10, 20 and 30 over two hours) and
        // holdout visitor y (15, then 0) once each, as in the running total, where adding the hours counts them twice.
        var (first, second, total) = (Window(aggregates, WindowKind.Hour, hour1), Window(aggregates, WindowKind.Hour, hour2), Window(aggregates, WindowKind.Total, hour1));
        Assert.Equal(first.Treatment.Visitors, first.Treatment.VisitorsToDate);
        Assert.Equal(first.Holdout.Visitors, first.Holdout.VisitorsToDate);
        Assert.Equal(new VisitorSums(4, 60m * 60m + 0m + 40m * 40m + 0m, 60m * 3 + 0m + 40m + 0m, 9 + 1 + 1 + 1), second.Treatment.VisitorsToDate);
        Assert.Equal(new VisitorSums(3, 5m * 5m + 15m * 15m + 60m * 60m, 5m + 15m * 2 + 60m * 2, 1 + 4 + 4), second.Holdout.VisitorsToDate);
        Assert.Equal(total.Treatment.Visitors, second.Treatment.VisitorsToDate);
        Assert.Equal(total.Holdout.Visitors, second.Holdout.VisitorsToDate);
        Assert.NotEqual(first.Treatment.Visitors + second.Treatment.Visitors, second.Treatment.VisitorsToDate);
        Assert.Equal(total.Treatment.Visitors, Window(aggregates, WindowKind.Day, hour1).Treatment.VisitorsToDate);
        Assert.Null(total.Treatment.VisitorsToDate); // the running total's own visitor sums are to date

        // A revision moves a's comeback into hour 1 (a late view: exposures only move earlier). Hour 1 to date now
        // holds all of a; hour 2, which the session left, is published again and still ends at the running total.
        var moved = aggregator.Apply(SessionOutcomeChange.Revised(comeback, comeback with { ExposedAt = hour1.AddMinutes(30) }), Now);
        (first, second, total) = (Window(moved, WindowKind.Hour, hour1), Window(moved, WindowKind.Hour, hour2), Window(moved, WindowKind.Total, hour1));
        Assert.Equal(new VisitorSums(3, 60m * 60m + 0m + 40m * 40m, 60m * 3 + 0m + 40m, 9 + 1 + 1), first.Treatment.VisitorsToDate);
        Assert.Equal(total.Treatment.Visitors, second.Treatment.VisitorsToDate);

        // Retracting d's only session takes d out of the sums to date too.
        var retracted = aggregator.Apply(SessionOutcomeChange.Retracted(once), Now);
        Assert.Equal(first.Treatment.VisitorsToDate, Window(retracted, WindowKind.Hour, hour2).Treatment.VisitorsToDate);
        Assert.Equal(Window(retracted, WindowKind.Total, hour1).Treatment.Visitors, Window(retracted, WindowKind.Hour, hour2).Treatment.VisitorsToDate);
    }

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
