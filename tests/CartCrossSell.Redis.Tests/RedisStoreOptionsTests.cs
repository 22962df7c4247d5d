namespace CartCrossSell.Redis.Tests;

public sealed class RedisStoreOptionsTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(60_001)]
    public void A_write_coalescing_below_zero_or_above_a_minute_is_refused_by_its_key(int milliseconds)
    {
        var options = new RedisStoreOptions { Configuration = "localhost:6379", WriteCoalesce = TimeSpan.FromMilliseconds(milliseconds) };
        var refused = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Redis:WriteCoalesce", refused.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(60_000)]
    public void A_write_coalescing_from_zero_to_a_minute_is_accepted(int milliseconds) =>
        new RedisStoreOptions { Configuration = "localhost:6379", WriteCoalesce = TimeSpan.FromMilliseconds(milliseconds) }.Validate();
}
