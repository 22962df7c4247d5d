using CartCrossSell.Contracts;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace CartCrossSell.Topologies.Hosting;

/// <summary>Where the service answers Prometheus and health probes. Bound from the <c>Monitoring</c> section.</summary>
public sealed class MonitoringOptions
{
    public const string SectionName = "Monitoring";

    /// <summary>HTTP port for <c>/metrics</c>, <c>/health/live</c> and <c>/health/ready</c>; 0 turns the endpoint off. Default 9464.</summary>
    public int Port { get; set; } = 9464;

    /// <summary>Host to bind; <c>*</c> for every interface (containers), <c>127.0.0.1</c> for the local machine. Default 127.0.0.1.</summary>
    public string Host { get; set; } = "127.0.0.1";

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new OptionsValidationException($"{SectionName}:Port must be between 0 and 65535");
        ListenAddress.Validate(Host, $"{SectionName}:Host");
    }
}

/// <summary>
/// Redis write latency, errors, stale writes, and event-to-readable freshness as Prometheus metrics, with the part of
/// it spent before the value was ranked (Kafka's delivery and the stream thread), so an operator sees which side a
/// slow value waited on.
/// </summary>
public sealed class RedisWriteMetrics : IRecommendationWriteObserver
{
    // Milliseconds, fine where the 50 ms freshness target is decided: powers of two cannot tell 35 ms from 60.
    private static readonly double[] RankedBuckets =
        [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5];
    private readonly Histogram _latency, _freshness, _ranked;
    private readonly Counter _errors, _values;

    public RedisWriteMetrics(CollectorRegistry registry)
    {
        var f = Metrics.WithCustomRegistry(registry);
        _latency = f.CreateHistogram("cartxsell_redis_write_seconds", "Time of one pipelined batch write to Redis",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _freshness = f.CreateHistogram("cartxsell_event_to_redis_seconds", "From a cart event's timestamp to its value being readable in Redis",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _ranked = f.CreateHistogram("cartxsell_event_to_ranked_seconds", "From a cart event's timestamp to its value being ranked and queued for Redis: the producer, the broker, the consumer's fetch and the stream thread; the rest of cartxsell_event_to_redis_seconds is the write",
            new HistogramConfiguration { Buckets = RankedBuckets });
        _errors = f.CreateCounter("cartxsell_redis_write_errors_total", "Failed batch write attempts to Redis (a Redis error or timeout, retried; or a batch no retry mends, which stops the writer)");
        _values = f.CreateCounter("cartxsell_redis_values_written_total", "Cart values sent to Redis");
    }

    public void Written(IReadOnlyCollection<CartRecommendation> batch, TimeSpan took, DateTimeOffset readableAt)
    {
        _latency.Observe(took.TotalSeconds);
        _values.Inc(batch.Count);
        foreach (var value in batch) _freshness.Observe(Math.Max(0, (readableAt - value.EventTimestamp).TotalSeconds));
    }

    public void Enqueued(CartRecommendation value, DateTimeOffset rankedAt) =>
        _ranked.Observe(Math.Max(0, (rankedAt - value.EventTimestamp).TotalSeconds));

    public void Failed(Exception error) => _errors.Inc();
}
