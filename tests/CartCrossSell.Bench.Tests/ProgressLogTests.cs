using CartCrossSell.Load;

namespace CartCrossSell.Bench.Tests;

public sealed class ProgressLogTests
{
    [Fact]
    public void The_elapsed_time_counts_minutes_on_past_an_hour()
    {
        Assert.Equal("03:07", ProgressLog.Clock(TimeSpan.FromSeconds(187)));
        Assert.Equal("75:30", ProgressLog.Clock(TimeSpan.FromMinutes(75.5))); // mm\:ss said 15:30
        var line = new StringWriter();
        new ProgressLog(line).Line("x");
        Assert.Matches(@"^\[00:0\d\] x", line.ToString());
    }

    [Fact]
    public void Memory_read_in_kibibytes_is_labelled_in_mebibytes() =>
        Assert.Equal("2 MiB resident (peak 3 MiB)", new ProcessMemory(2_048, 3_072).ToString());
}
