using CartCrossSell.Load;

namespace CartCrossSell.Bench.Tests;

public sealed class LoadReportTests
{
    private static readonly ServiceTimings NoTimings = ServiceTimings.Between(MetricsSnapshot.Empty, MetricsSnapshot.Empty, "t");

    private static RunResults Run() => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch, Machine = "m", LoadAverageAtStart = "0", CommandLine = "make bench-e2e",
        Options = new LoadOptions { OrdersPath = "o.csv", ResultsDirectory = "r", CliPath = "c.dll" },
    };

    [Fact]
    public void A_phase_without_a_look_before_its_start_has_no_duration_where_it_had_the_time_since_the_stopwatch_epoch()
    {
        Assert.Null(NotMeasured.Between(null, System.Diagnostics.Stopwatch.GetTimestamp()));
        Assert.Null(new DrainResult(60_000, 0, 100, null, 0, 0, NoTimings, "").EventsPerSecond);
        Assert.Equal(2_000, new DrainResult(60_000, 30_000, 100, TimeSpan.FromSeconds(30), 0, 0, NoTimings, "").EventsPerSecond);
    }

    [Fact]
    public void The_report_says_not_measured_instead_of_a_rate_for_the_drain_and_the_learner()
    {
        var run = Run();
        run.Drain = new DrainResult(90_000, 0, 100, null, 0, 0, NoTimings, "");
        run.Learner = new LearnerResult(10, 100, null, null, 5, NoTimings, NoTimings, "");
        var lines = MarkdownReport.Render(run).Split('\n');
        var drain = Assert.Single(lines, l => l.StartsWith("| 1 |", StringComparison.Ordinal));
        Assert.Contains("| not measured: the first metrics scrape that answered already counted more than the 30,000 warm-up events", drain);
        Assert.DoesNotContain("/s**", drain);
        var learner = Assert.Single(lines, l => l.StartsWith("| 4 |", StringComparison.Ordinal));
        Assert.Contains("| not measured: the first metrics scrape that answered already counted split orders", learner);
        Assert.DoesNotContain("lines/s**", learner);

        run.Drain = run.Drain with { Events = 60_000, Warmup = 30_000, Duration = TimeSpan.FromSeconds(12) };
        Assert.Contains("**5,000/s** (12.00 s) | yes |", MarkdownReport.Render(run));
    }

    [Fact]
    public void The_report_says_whether_the_learner_was_timed_after_a_warm_up_or_cold_and_to_its_last_row_published()
    {
        var run = Run();
        run.OrderBacklog = new OrderBacklogReport(700, 13_000, 0, 7);
        Assert.Contains("timed from a cold process (no warm-up)", MarkdownReport.Render(run));
        Assert.Equal(13_000, run.LinesLearned);

        run.OrderBacklog = run.OrderBacklog with { Products = 2_002 };
        run.LearnerWarmup = new OrderBacklogReport(1_000, 20_000, 2_002, 2);
        var report = MarkdownReport.Render(run);
        Assert.Contains("published once the learner had learned a warm-up of 1,000 orders, 20,000 lines (2 copies", report);
        Assert.DoesNotContain("cold process", report);
        Assert.Equal(33_000, run.LinesLearned);

        // The learner is timed to its last row published, and the report says how many went out.
        run.Learner = new LearnerResult(700, 13_000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 2_600, NoTimings, NoTimings, "") { RowsPublished = 4_321 };
        report = MarkdownReport.Render(run);
        Assert.Contains("the last row published to item-neighbors (both quiet for 3 s, lag 0); 4,321 rows published", report);
        Assert.Contains("**6,500 lines/s** (2.0 s", report);
    }
}
