namespace CartCrossSell.Bench.Tests;

public sealed class WebBenchOptionsTests
{
    [Theory]
    [InlineData("--readers", "x")]
    [InlineData("--readers", "0")]
    [InlineData("--carts", "0")]
    [InlineData("--reads", "-1")]
    [InlineData("--rounds", "1.5")]
    [InlineData("--rates", "1000,,0")]
    [InlineData("--host", "foo")]
    [InlineData("--bogus", "1")]
    public void A_bad_value_or_an_unknown_flag_is_refused_naming_the_flag(string flag, string value)
    {
        Assert.Null(WebBenchOptions.Parse([flag, value], out var error));
        Assert.Contains(flag, error);
    }

    [Fact]
    public void A_flag_without_its_value_is_refused()
    {
        Assert.Null(WebBenchOptions.Parse(["--readers", "10", "--carts"], out var error));
        Assert.Equal("--carts needs a value", error);
    }

    [Fact]
    public void Good_flags_are_read_and_the_rest_keep_their_defaults()
    {
        var options = WebBenchOptions.Parse(["--readers", "8", "--rates", "500,0", "--host", "process"], out var error);
        Assert.Null(error);
        Assert.Equal(8, options!.Readers);
        Assert.Equal([500, 0], options.Rates);
        Assert.Equal("process", options.Host);
        Assert.Equal(new WebBenchOptions().Carts, options.Carts);
    }

    [Fact]
    public void Help_is_recognised_and_lists_every_flag_with_its_default()
    {
        Assert.True(WebBenchOptions.AsksForHelp(["--readers", "5", "--help"]));
        var usage = WebBenchOptions.Usage();
        foreach (var flag in new[] { "--readers", "--reads", "--carts", "--rounds", "--rates", "--host", "--help" }) Assert.Contains(flag, usage);
        Assert.Contains("(default 1000,5000,0)", usage);
    }
}
