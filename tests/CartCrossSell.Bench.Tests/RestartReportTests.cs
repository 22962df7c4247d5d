using CartCrossSell.Load;

namespace CartCrossSell.Bench.Tests;

public sealed class RestartReportTests
{
    private static RestartRun Run(string mode, TimeSpan? groupJoin, TimeSpan? restoration) =>
        new(mode, 1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4), 10, 20, true, true, null, 0,
            groupJoin, restoration);

    private static string MedianRow(string mode, IEnumerable<RestartRun> runs) =>
        RestartReport.Render(new RestartFill(100, 150, TimeSpan.FromSeconds(5), null, 0, 0, 0), [.. runs], TimeSpan.FromSeconds(10), "m", "c", "0", "0")
            .Split('\n').First(l => l.StartsWith($"| {mode} |", StringComparison.Ordinal));

    [Fact]
    public void A_median_leaves_out_the_runs_whose_log_had_no_figure_instead_of_counting_them_as_zero()
    {
        // Two runs with figures, one without: the median is of 4 and 6 s, not of 0, 4 and 6 s (4 s).
        var row = MedianRow("stop", [Run("stop", null, null), Run("stop", TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(0.4)), Run("stop", TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(0.6))]);
        Assert.Contains("| 5.00 s | 0.50 s |", row);
    }

    [Fact]
    public void A_median_of_no_figure_at_all_is_not_available_rather_than_zero()
    {
        var row = MedianRow("kill", [Run("kill", null, null), Run("kill", null, null)]);
        Assert.Contains("| n/a | n/a |", row);
        Assert.DoesNotContain("0.00 s", row);
    }
}
