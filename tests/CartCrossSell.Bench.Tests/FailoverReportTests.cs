using CartCrossSell.Load;

namespace CartCrossSell.Bench.Tests;

public sealed class FailoverReportTests
{
    private static FailoverRun Run(string departure, int repeat, double? takeoverMs) =>
        new("Eager", departure, repeat, 2, 2, TimeSpan.FromMilliseconds(700), takeoverMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, TimeSpan.FromMilliseconds(90));

    private static string[] Lines(params FailoverRun[] runs) => FailoverReport.Render(runs, "make bench-failover", "0", "0").Split('\n');

    [Fact]
    public void A_run_whose_survivor_never_wrote_a_moved_partition_says_never_and_stays_out_of_the_median()
    {
        var lines = Lines(Run("kill", 1, 1_000), Run("kill", 2, null), Run("kill", 3, 3_000));
        // The median of 1,000 and 3,000 ms, not of three figures one of which was the run's length.
        Assert.Contains(lines, l => l.StartsWith("| Eager | kill | 3 |", StringComparison.Ordinal) && l.Contains("| 2,000 ms (of 2; never in 1) |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| 2 | Eager | kill |", StringComparison.Ordinal) && l.Contains("| never |", StringComparison.Ordinal));
    }

    [Fact]
    public void A_group_of_runs_none_of_which_took_over_has_no_median_figure()
    {
        var lines = Lines(Run("stop", 1, null), Run("stop", 2, null));
        Assert.Contains(lines, l => l.StartsWith("| Eager | stop | 2 |", StringComparison.Ordinal) && l.Contains("| never |", StringComparison.Ordinal));
    }

    [Fact]
    public void The_progress_line_says_never_rather_than_a_time()
    {
        Assert.Equal("after 1,500 ms", FailoverReport.After(TimeSpan.FromMilliseconds(1_500)));
        Assert.StartsWith("never", FailoverReport.After(null));
    }
}
