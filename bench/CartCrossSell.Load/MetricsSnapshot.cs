using System.Globalization;

namespace CartCrossSell.Load;

/// <summary>One sample of a Prometheus text exposition: a metric name, its labels and its value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// One scrape of a service's <c>/metrics</c>. Only the few series the benchmark needs are read (records processed,
/// consumer lag, dead letters, values written), so a small parser of the text format is enough.
/// </summary>
public sealed class MetricsSnapshot(IReadOnlyList<MetricSample> samples)
{
    public static readonly MetricsSnapshot Empty = new([]);

    public IReadOnlyList<MetricSample> Samples => samples;

    /// <summary>Sum of a metric over the series whose labels include every given pair.</summary>
    public double Sum(string name, params (string Label, string Value)[] match) => Matching(name, match).Sum();

    /// <summary>The mean of the matching samples (NaN when none): a gauge reported per thread, averaged over them.</summary>
    public double Mean(string name, params (string Label, string Value)[] match)
    {
        var values = Matching(name, match).ToArray();
        return values.Length == 0 ? double.NaN : values.Average();
    }

    private IEnumerable<double> Matching(string name, (string Label, string Value)[] match) =>
        samples.Where(s => s.Name == name && match.All(m => s.Labels.TryGetValue(m.Label, out var v) && v == m.Value)).Select(s => s.Value);

    public long Processed(string topology) => (long)Sum("cartxsell_records_processed_total", ("topology", topology));
    /// <summary>The group's records not yet committed, over its source partitions (read from the broker at most once a second).</summary>
    public long Lag(string group) => (long)Sum("cartxsell_consumer_lag", ("topology", group));
    public long DeadLettered() => (long)Sum("cartxsell_records_dead_lettered_total");

    public static MetricsSnapshot Parse(string text)
    {
        var samples = new List<MetricSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var valueStart = line.LastIndexOf(' ');
            if (valueStart < 0) continue;
            if (!double.TryParse(line.AsSpan(valueStart + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) continue;
            var series = line[..valueStart];
            var brace = series.IndexOf('{', StringComparison.Ordinal);
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var name = series;
            if (brace >= 0)
            {
                name = series[..brace];
                // Label values of these metrics are topology, topic and partition names: no commas or quotes inside.
                foreach (var pair in series[(brace + 1)..].TrimEnd('}').Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq > 0) labels[pair[..eq]] = pair[(eq + 1)..].Trim('"');
                }
            }
            samples.Add(new MetricSample(name, labels, value));
        }
        return new MetricsSnapshot(samples);
    }
}
