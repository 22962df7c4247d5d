using System.Globalization;

namespace CartCrossSell.Load;

/// <summary>
/// The recommender's own view of an interval, from the difference of two <c>/metrics</c> scrapes: mean in-memory
/// processing time per record, the commits of the process's stream threads (Streamiz's own sensors, bridged as
/// <c>cartxsell_streamiz</c>: the count, and Streamiz's windowed mean commit latency, in whole milliseconds, at the end of
/// the interval; they are the whole process's: this benchmark runs one group per process, and every topology of a group
/// shares its commits), mean pipelined Redis write, and its freshness histogram (event timestamp → write acknowledged), whose quantiles are
/// only known to the bucket (powers of two from 1 ms), with the part before the value was ranked (event timestamp → ranked and
/// queued for Redis: producer, broker, fetch and the stream thread; buckets of 1-25 ms). It says where the time goes.
/// </summary>
public sealed record ServiceTimings(
    double MeanProcessingMs, long Records, double MeanCommitMs, long Commits, double MeanRedisWriteMs, long RedisWrites,
    double FreshnessP50UpperMs, double FreshnessP99UpperMs, double RankedP50UpperMs, double RankedP99UpperMs)
{
    public static ServiceTimings Between(MetricsSnapshot before, MetricsSnapshot after, string topology)
    {
        (double Sum, long Count) Diff(string name, params (string, string)[] match) =>
            (after.Sum(name + "_sum", match) - before.Sum(name + "_sum", match),
             (long)(after.Sum(name + "_count", match) - before.Sum(name + "_count", match)));
        static double Mean((double Sum, long Count) d) => d.Count > 0 ? d.Sum / d.Count * 1000 : double.NaN;
        var processing = Diff("cartxsell_record_processing_seconds", ("topology", topology));
        // Streamiz commits per stream thread, not per topology; its latency sensor is a windowed mean, not a sum.
        (string, string)[] commitSensor = [("metric_group", "stream-thread-metrics"), ("metric", "commit-total")];
        var commits = (long)(after.Sum("cartxsell_streamiz", commitSensor) - before.Sum("cartxsell_streamiz", commitSensor));
        var commitMs = commits > 0 ? after.Mean("cartxsell_streamiz", ("metric_group", "stream-thread-metrics"), ("metric", "commit-latency-avg")) : double.NaN;
        var write = Diff("cartxsell_redis_write_seconds");
        var buckets = BucketsBetween(before, after, "cartxsell_event_to_redis_seconds");
        var ranked = BucketsBetween(before, after, "cartxsell_event_to_ranked_seconds");
        return new ServiceTimings(Mean(processing), processing.Count, commitMs, commits, Mean(write), write.Count,
            Quantile(buckets, 0.50), Quantile(buckets, 0.99), Quantile(ranked, 0.50), Quantile(ranked, 0.99));
    }

    /// <param name="freshness">False for a backlog, whose events are older than the histogram's last bucket.</param>
    public string Describe(bool freshness = true)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"processing {MeanProcessingMs:0.000} ms/record over {Records:N0} records, {Commits:N0} commits of the group (Streamiz's windowed mean at the end: {MeanCommitMs:0.0} ms, counted in whole milliseconds)");
        if (RedisWrites > 0) text += string.Create(CultureInfo.InvariantCulture, $", {RedisWrites:N0} Redis batch writes of {MeanRedisWriteMs:0.0} ms on average");
        if (freshness)
            text += $"; the service's own freshness histogram (event → write acknowledged): p50 ≤ {Bound(FreshnessP50UpperMs)}, p99 ≤ {Bound(FreshnessP99UpperMs)}"
                + $", of which before the value was ranked (event → ranked and queued for Redis): p50 ≤ {Bound(RankedP50UpperMs)}, p99 ≤ {Bound(RankedP99UpperMs)}";
        return text;
    }

    private static string Bound(double ms) => double.IsNaN(ms) ? "n/a" : double.IsPositiveInfinity(ms) ? "∞" : ms.ToString("0.#", CultureInfo.InvariantCulture) + " ms";

    private static (double Le, double Count)[] BucketsBetween(MetricsSnapshot before, MetricsSnapshot after, string histogram)
    {
        var earlier = Buckets(before, histogram).GroupBy(b => b.Le).ToDictionary(g => g.Key, g => g.Sum(b => b.Count));
        return Buckets(after, histogram).Select(b => (b.Le, Count: b.Count - earlier.GetValueOrDefault(b.Le))).OrderBy(b => b.Le).ToArray();
    }

    private static IEnumerable<(double Le, double Count)> Buckets(MetricsSnapshot m, string histogram) =>
        m.Samples.Where(s => s.Name == histogram + "_bucket" && s.Labels.ContainsKey("le"))
            .Select(s => (s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture), s.Value));

    // Cumulative buckets: the first upper bound whose count reaches the quantile.
    private static double Quantile((double Le, double Count)[] cumulative, double q)
    {
        if (cumulative.Length == 0 || cumulative[^1].Count <= 0) return double.NaN;
        var target = q * cumulative[^1].Count;
        return cumulative.First(b => b.Count >= target).Le * 1000;
    }
}
