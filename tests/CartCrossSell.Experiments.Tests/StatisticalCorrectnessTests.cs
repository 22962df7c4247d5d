using Xunit.Abstractions;

namespace CartCrossSell.Experiments.Tests;

/// <summary>
/// Monte Carlo checks of the holdout measurement against planted ground truth: 200 seeded experiments each.
/// The seeds are fixed, so the measured rates are reproducible; they are written to the test output.
/// </summary>
public sealed class StatisticalCorrectnessTests(ITestOutputHelper output)
{
    private const int Experiments = 200;

    [Fact]
    public void The_95_percent_interval_covers_a_planted_lift_in_at_least_93_percent_of_experiments()
    {
        var settings = new SimulationSettings { Sessions = 4_000, ActualHoldoutShare = 0.5, ConfiguredHoldoutShare = 0.5, AddOnPrice = 20 };
        var trueIncrement = settings.TrueIncrementalRevenuePerSession;
        var trueLiftPercent = trueIncrement / settings.ExpectedHoldoutRevenuePerSession * 100;
        int covered = 0, liftCovered = 0;
        double sumHalfWidth = 0, sumSquaredError = 0;
        for (var seed = 1; seed <= Experiments; seed++)
        {
            var comparison = SessionSimulator.Total(SessionSimulator.Generate(settings, seed)).Comparison;
            var ci = comparison.IncrementalRevenuePerSessionCi!;
            covered += ci.Contains(trueIncrement) ? 1 : 0;
            liftCovered += comparison.LiftPercentCi!.Contains(trueLiftPercent) ? 1 : 0;
            sumHalfWidth += (ci.Upper - ci.Lower) / 2;
            sumSquaredError += Math.Pow(comparison.IncrementalRevenuePerSession!.Value - trueIncrement, 2);
        }

        var coverage = (double)covered / Experiments;
        var liftCoverage = (double)liftCovered / Experiments;
        // An interval is only honest if it is also no wider than needed: its mean half-width should be about
        // 1.96 times the actual spread of the estimate across experiments.
        var empiricalSe = Math.Sqrt(sumSquaredError / Experiments);
        var widthRatio = sumHalfWidth / Experiments / (1.959964 * empiricalSe);
        output.WriteLine($"true increment {trueIncrement:F3}/session ({trueLiftPercent:F2}%); coverage {coverage:P1}, lift coverage {liftCoverage:P1}, half-width / (1.96·empirical SE) = {widthRatio:F3}");

        Assert.True(coverage >= 0.93, $"coverage {coverage:P1}");
        Assert.True(liftCoverage >= 0.92, $"lift coverage {liftCoverage:P1}");
        Assert.InRange(widthRatio, 0.85, 1.15);
    }

    [Fact]
    public void With_returning_visitors_the_interval_still_covers_a_planted_lift_where_counting_sessions_as_independent_does_not()
    {
        // Visitors are assigned, sessions are analysed: a visitor's sessions share a cohort, an intent and a spending
        // level, so the sessions of one cohort are fewer independent draws than they look.
        var settings = new SimulationSettings
        {
            Sessions = 4_000, ActualHoldoutShare = 0.5, ConfiguredHoldoutShare = 0.5, AddOnPrice = 20,
            SessionsPerVisitor = 4, VisitorSpendSigma = 0.8, HighIntentShare = 0.3,
        };
        var trueIncrement = settings.TrueIncrementalRevenuePerSession;
        int covered = 0, coveredAsSessions = 0;
        double sumHalfWidth = 0, sumSquaredError = 0;
        for (var seed = 4_001; seed <= 4_000 + Experiments; seed++)
        {
            var total = SessionSimulator.Total(SessionSimulator.Generate(settings, seed));
            Assert.True(total.Treatment.Visitors!.Value.Visitors < total.Treatment.Sums.ExposedSessions / 2);
            var ci = total.Comparison.IncrementalRevenuePerSessionCi!;
            covered += ci.Contains(trueIncrement) ? 1 : 0;
            coveredAsSessions += AovStatistics.Compare(total.Treatment.Sums, total.Holdout.Sums, 0.95).IncrementalRevenuePerSessionCi!.Contains(trueIncrement) ? 1 : 0;
            sumHalfWidth += (ci.Upper - ci.Lower) / 2;
            sumSquaredError += Math.Pow(total.Comparison.IncrementalRevenuePerSession!.Value - trueIncrement, 2);
        }

        var coverage = (double)covered / Experiments;
        var coverageAsSessions = (double)coveredAsSessions / Experiments;
        var widthRatio = sumHalfWidth / Experiments / (1.959964 * Math.Sqrt(sumSquaredError / Experiments));
        output.WriteLine($"true increment {trueIncrement:F3}/session; coverage {coverage:P1} by visitors, {coverageAsSessions:P1} with sessions as independent; half-width / (1.96·empirical SE) = {widthRatio:F3}");

        Assert.True(coverage >= 0.93, $"coverage {coverage:P1}");
        Assert.InRange(widthRatio, 0.85, 1.15);
        Assert.True(coverageAsSessions <= coverage - 0.05, $"sessions as independent covered {coverageAsSessions:P1}, visitors {coverage:P1}");
    }

    [Fact]
    public void Without_a_planted_lift_significance_is_declared_in_at_most_7_percent_of_experiments()
    {
        // Treatment accepts cross-sells, but they only relabel spend: zero true effect, default 90/10 split.
        var settings = new SimulationSettings { Sessions = 5_000, AddOnAddsRevenue = false };
        var significant = 0;
        var pBelowHalf = 0;
        for (var seed = 1_001; seed <= 1_000 + Experiments; seed++)
        {
            var comparison = SessionSimulator.Total(SessionSimulator.Generate(settings, seed)).Comparison;
            significant += comparison.Significant ? 1 : 0;
            pBelowHalf += comparison.PValue < 0.5 ? 1 : 0;
        }

        var falsePositiveRate = (double)significant / Experiments;
        output.WriteLine($"false-positive rate {falsePositiveRate:P1}; share of p < 0.5: {(double)pBelowHalf / Experiments:P1}");
        Assert.True(falsePositiveRate <= 0.07, $"false-positive rate {falsePositiveRate:P1}");
        // Under the null p is uniform: a test that never rejects would pass the line above but not this one.
        Assert.InRange((double)pBelowHalf / Experiments, 0.38, 0.62);
    }

    [Fact]
    public void A_large_planted_lift_is_detected()
    {
        var settings = new SimulationSettings { Sessions = 20_000, ActualHoldoutShare = 0.5, ConfiguredHoldoutShare = 0.5, AddOnPrice = 60 };
        var detected = 0;
        for (var seed = 2_001; seed <= 2_050; seed++)
        {
            var comparison = SessionSimulator.Total(SessionSimulator.Generate(settings, seed)).Comparison;
            detected += comparison.Significant && comparison.IncrementalRevenuePerSession > 0 ? 1 : 0;
        }

        output.WriteLine($"power at {settings.TrueIncrementalRevenuePerSession:F2}/session: {detected}/50");
        Assert.True(detected >= 45, $"detected {detected}/50");
    }

    [Fact]
    public void A_split_other_than_the_configured_one_is_flagged_and_the_configured_split_is_not()
    {
        var fiftyFifty = new SimulationSettings { Sessions = 2_000, ActualHoldoutShare = 0.5, ConfiguredHoldoutShare = 0.1 };
        var srm = SessionSimulator.Total(SessionSimulator.Generate(fiftyFifty, 7)).Srm;
        output.WriteLine($"50/50 against 90/10: chi-square {srm.ChiSquare:F1}, p {srm.PValue:E2}");
        Assert.True(srm.Mismatch);
        Assert.InRange(srm.ObservedHoldoutShare!.Value, 0.45, 0.55);

        var eightyTwenty = new SimulationSettings { Sessions = 5_000, ActualHoldoutShare = 0.2, ConfiguredHoldoutShare = 0.1 };
        Assert.True(SessionSimulator.Total(SessionSimulator.Generate(eightyTwenty, 8)).Srm.Mismatch);

        // The configured split, with cohorts from the real assignment function, over 20k subjects.
        var config = new ExperimentConfig(SessionSimulator.ExperimentId, SessionSimulator.Salt);
        var assigned = SessionSimulator.Generate(new SimulationSettings { Sessions = 20_000 }, 9)
            .Select(o => o with { Cohort = config.Assign(o.SubjectId, o.SessionId) });
        var honest = SessionSimulator.Total(assigned).Srm;
        output.WriteLine($"hash-assigned 90/10: observed holdout {honest.ObservedHoldoutShare:P2}, p {honest.PValue:F3}");
        Assert.False(honest.Mismatch);

        // And across 200 seeded experiments at the configured split, the check almost never fires (expected 0.1%).
        var falseAlarms = Enumerable.Range(3_001, Experiments)
            .Count(seed => SessionSimulator.Total(SessionSimulator.Generate(new SimulationSettings { Sessions = 2_000 }, seed)).Srm.Mismatch);
        output.WriteLine($"SRM false alarms at the configured split: {falseAlarms}/{Experiments}");
        Assert.True(falseAlarms <= 2, $"{falseAlarms} false alarms");
    }

    [Fact]
    public void With_returning_visitors_the_sample_ratio_check_counts_visitors_and_stays_quiet_at_the_configured_split()
    {
        // Visitors of four sessions on average, assigned 50/50 as configured: sessions come in clumps of one cohort.
        var settings = new SimulationSettings { Sessions = 4_000, ActualHoldoutShare = 0.5, ConfiguredHoldoutShare = 0.5, SessionsPerVisitor = 4 };
        int alarms = 0, alarmsOnSessions = 0;
        for (var seed = 5_001; seed <= 5_000 + Experiments; seed++)
        {
            var total = SessionSimulator.Total(SessionSimulator.Generate(settings, seed));
            Assert.Equal(total.Treatment.Visitors!.Value.Visitors, total.Srm.TreatmentVisitors);
            alarms += total.Srm.Mismatch ? 1 : 0;
            alarmsOnSessions += AovStatistics.CheckSampleRatio(total.Srm.TreatmentSessions, total.Srm.HoldoutSessions, 0.5, 0.001).Mismatch ? 1 : 0;
        }

        output.WriteLine($"SRM false alarms at the configured split with returning visitors: {alarms}/{Experiments} on visitors, {alarmsOnSessions}/{Experiments} on sessions");
        Assert.True(alarms <= 2, $"{alarms} false alarms");
        Assert.True(alarmsOnSessions >= 10, $"{alarmsOnSessions} alarms on sessions");

        // A broken split is still caught on visitors: 60/40 where 50/50 is configured.
        var skewed = SessionSimulator.Total(SessionSimulator.Generate(settings with { ActualHoldoutShare = 0.4 }, 5_999)).Srm;
        output.WriteLine($"60/40 against 50/50: {skewed.HoldoutVisitors} of {skewed.HoldoutVisitors + skewed.TreatmentVisitors} visitors, p {skewed.PValue:E2}");
        Assert.True(skewed.Mismatch);
    }

    [Fact]
    public void A_selection_effect_inflates_the_naive_figure_while_the_holdout_figure_stays_near_zero()
    {
        // High-intent shoppers buy more and accept more cross-sells; the widget itself changes nothing.
        var settings = new SimulationSettings
        {
            Sessions = 30_000,
            HighIntentShare = 0.3,
            HighIntent = new Segment(0.70, Math.Log(90), 0.5, 0.40),
            LowIntent = new Segment(0.20, Math.Log(50), 0.5, 0.05),
            AddOnAddsRevenue = false,
        };
        var aggregate = SessionSimulator.Total(SessionSimulator.Generate(settings, 42));
        var naive = (double)aggregate.Naive.RevenuePerSessionDifference!.Value;
        var naiveAov = (double)aggregate.Naive.AovPerOrderDifference!.Value;
        var comparison = aggregate.Comparison;
        var incremental = comparison.IncrementalRevenuePerSession!.Value;
        output.WriteLine($"naive per session {naive:F2}, naive AOV {naiveAov:F2}, holdout incremental {incremental:F2} ± {1.96 * comparison.StandardError:F2}, lift {comparison.LiftPercent:F2}%");

        Assert.True(aggregate.Naive.Biased);
        Assert.True(naive > 50, $"naive {naive:F2}");
        // Even per order, acceptors look richer: intent, not the widget.
        Assert.True(naiveAov > 10, $"naive AOV {naiveAov:F2}");
        Assert.True(Math.Abs(incremental) < 4 * comparison.StandardError!.Value, $"incremental {incremental:F2}");
        Assert.True(Math.Abs(incremental) < naive / 20);
    }
}
