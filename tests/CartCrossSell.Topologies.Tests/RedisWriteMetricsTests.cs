using CartCrossSell.Contracts;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Hosting;
using Prometheus;

namespace CartCrossSell.Topologies.Tests;

/// <summary>Freshness split where it is spent: before the value was ranked, and the whole way to Redis.</summary>
public sealed class RedisWriteMetricsTests
{
    [Fact]
    public async Task A_value_ranked_35_ms_after_its_event_falls_in_the_40_ms_ranked_bucket_and_its_70_ms_to_Redis_in_the_readable_histogram()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new RedisWriteMetrics(registry);
        var at = new DateTimeOffset(2026, 12, 4, 1, 0, 0, TimeSpan.Zero);
        var value = new CartRecommendation { CartId = "c1", Version = 3, Strategy = "basket-aware", CartValue = 0m, AddOns = [], EventTimestamp = at, GeneratedAt = at };

        metrics.Enqueued(value, at.AddMilliseconds(35));
        metrics.Written([value], TimeSpan.FromMilliseconds(2), at.AddMilliseconds(70));

        var text = await MetricsText.OfAsync(registry);
        Assert.Contains("cartxsell_event_to_ranked_seconds_bucket{le=\"0.03\"} 0", text);
        Assert.Contains("cartxsell_event_to_ranked_seconds_bucket{le=\"0.04\"} 1", text);
        Assert.Contains("cartxsell_event_to_ranked_seconds_count 1", text);
        Assert.Contains("cartxsell_event_to_redis_seconds_count 1", text);
        Assert.Contains("cartxsell_event_to_redis_seconds_sum 0.07", text);
    }
}
