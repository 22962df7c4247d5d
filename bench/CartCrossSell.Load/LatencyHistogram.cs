using System.Globalization;
using HdrHistogram;

namespace CartCrossSell.Load;

/// <summary>Latencies in microseconds (1 µs to 10 min, three significant digits); thread-safe recording.</summary>
public sealed class LatencyHistogram
{
    private readonly LongHistogram _histogram = new(1, 600_000_000, 3);
    private readonly Lock _gate = new();

    public long Count
    {
        get { lock (_gate) return _histogram.TotalCount; }
    }

    public void Record(TimeSpan latency)
    {
        var micros = Math.Clamp((long)latency.TotalMicroseconds, 1, 600_000_000);
        lock (_gate) _histogram.RecordValue(micros);
    }

    public void Add(LatencyHistogram other)
    {
        lock (other._gate)
        lock (_gate)
            _histogram.Add(other._histogram);
    }

    /// <summary>The latency at a percentile (0-100), in milliseconds; NaN when nothing was recorded.</summary>
    public double Milliseconds(double percentile)
    {
        lock (_gate) return _histogram.TotalCount == 0 ? double.NaN : _histogram.GetValueAtPercentile(percentile) / 1000.0;
    }

    public double MaxMilliseconds
    {
        get { lock (_gate) return _histogram.TotalCount == 0 ? double.NaN : _histogram.GetMaxValue() / 1000.0; }
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"p50 {Milliseconds(50):0.00} ms, p99 {Milliseconds(99):0.00} ms, p99.9 {Milliseconds(99.9):0.00} ms, max {MaxMilliseconds:0.00} ms ({Count:N0} samples)");
}
