using Prometheus;

namespace CartCrossSell.Streams;

/// <summary>
/// Prometheus metrics of the processing layer, registered in a registry the host owns (no global state): records
/// processed and dead-lettered per topic, processing latency, the state of each topology group, and Streamiz's own
/// sensors (process and commit rates and latencies, restore) bridged as gauges, and each group's consumer lag as the
/// broker records it (<see cref="Processing.GroupLag"/>: Streamiz has a lag sensor only with <c>ExposeLibrdKafkaStats</c>,
/// which the layer leaves off).
/// </summary>
public sealed class StreamsMetrics
{
    private static readonly double[] LatencyBuckets = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
    private readonly Counter _processed, _deadLettered, _ignored;
    private readonly Histogram _processing;
    private readonly Gauge _state, _streamiz, _lag, _rowsUnpublished;
    private readonly Counter _lagReadFailures, _revocationCommitsDropped;

    public StreamsMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var f = Metrics.WithCustomRegistry(registry);
        _processed = f.CreateCounter("cartxsell_records_processed_total", "Input records processed", "topology", "topic");
        _deadLettered = f.CreateCounter("cartxsell_records_dead_lettered_total", "Input records sent to dead-letters", "topology", "topic", "kind");
        _processing = f.CreateHistogram("cartxsell_record_processing_seconds", "Time to process one input record in memory",
            new HistogramConfiguration { LabelNames = ["topology"], Buckets = LatencyBuckets });
        _ignored = f.CreateCounter("cartxsell_table_records_ignored_total",
            "Records of a replicated table's topic the table ignored (did not decode, or refused; each logged)", "topology", "topic");
        _state = f.CreateGauge("cartxsell_topology_state", "Streamiz state of the group: 0 created, 1 rebalancing, 2 running, 3 pending shutdown, 4 not running, 5 error", "topology");
        _streamiz = f.CreateGauge("cartxsell_streamiz", "Streamiz sensors (KafkaStream.Metrics()) by group, metric group and name, thread, task and store",
            "topology", "metric_group", "metric", "thread", "task", "store");
        _lag = f.CreateGauge("cartxsell_consumer_lag", "Records of a source partition the group has not committed (end offset - committed offset, as the broker records them), read at a scrape at most once a second",
            "topology", "topic", "partition");
        _lagReadFailures = f.CreateCounter("cartxsell_consumer_lag_read_failures_total", "Scrapes at which the broker did not answer the lag read in time (the group's lag series are then absent)", "topology");
        _rowsUnpublished = f.CreateGauge("cartxsell_learner_rows_unpublished",
            "Learned rows this instance changed and has not yet handed to item-neighbors (they go at the next Learner:RowPublishInterval)", "topology");
        _revocationCommitsDropped = f.CreateCounter("cartxsell_revocation_commits_dropped_total",
            "Offset commits the group refused while a stream thread's partitions were revoked, dropped so the thread goes on (their records are replayed by the next owner)", "topology");
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Input records of <paramref name="topic"/> processed by <paramref name="topology"/> in this instance (dead letters excluded).</summary>
    public long ProcessedCount(string topology, string topic) => (long)_processed.WithLabels(topology, topic).Value;

    /// <summary>Input records of <paramref name="topic"/> that <paramref name="topology"/> dead-lettered as <paramref name="kind"/>.</summary>
    public long DeadLetteredCount(string topology, string topic, string kind) => (long)_deadLettered.WithLabels(topology, topic, kind).Value;

    /// <summary>Offset commits <paramref name="topology"/>'s threads dropped during revocations (<see cref="Processing.RevocationCommits"/>).</summary>
    public long RevocationCommitsDropped(string topology) => (long)_revocationCommitsDropped.WithLabels(topology).Value;

    /// <summary>
    /// Rows <paramref name="topology"/>'s tasks in this instance changed and have not yet handed to <c>item-neighbors</c>.
    /// With the learner's input committed to its end, zero means every learned change has been sent: what a caller that
    /// waits for the learning to finish (the demo, the embedded shop) must see, since the rows go out once per
    /// publication period, well after the input's commit.
    /// </summary>
    public long UnpublishedRows(string topology) => (long)_rowsUnpublished.WithLabels(topology).Value;

    /// <summary>Counts rows that became unpublished (positive) or were handed on or dropped with their task (negative).</summary>
    public void RowsUnpublished(string topology, int change)
    {
        if (change != 0) _rowsUnpublished.WithLabels(topology).Inc(change);
    }

    internal void RevocationCommitDropped(string topology) => _revocationCommitsDropped.WithLabels(topology).Inc();

    internal void State(string group, Streamiz.Kafka.Net.KafkaStream.State state) => _state.WithLabels(group).Set(state.Ordinal);

    /// <summary>
    /// Publishes Streamiz's own sensors (process and commit rates and latencies per thread, RocksDB figures per store)
    /// as <c>cartxsell_streamiz</c> gauges, read from the stream each time Prometheus scrapes. A sensor Streamiz no longer
    /// has (a task that moved to another instance, a store closed with it) loses its series instead of keeping its last value.
    /// </summary>
    internal void Bridge(string group, Func<Streamiz.Kafka.Net.KafkaStream> current)
    {
        var series = new GroupSeries(_streamiz, group);
        Registry.AddBeforeCollectCallback(() => series.Replace(Sensors(current())));
    }

    private static IEnumerable<(string[] Labels, double Value)> Sensors(Streamiz.Kafka.Net.KafkaStream stream)
    {
        foreach (var sensor in stream.Metrics())
        foreach (var (name, metric) in sensor.Metrics)
        {
            var value = metric.Value switch
            {
                double d => d,
                long l => l,
                int i => i,
                float f => f,
                _ => double.NaN,
            };
            if (!double.IsNaN(value)) yield return ([name.Group, name.Name, Tag(name.Tags, "thread_id"), Tag(name.Tags, "task_id"), StoreTag(name.Tags)], value);
        }
    }

    // Streamiz 1.8.2 writes its tag keys with underscores (thread_id, task_id, rocksdb_state_id); with the labels read
    // under other keys every thread's and every store's sensor of one name fell on one series, the last one read.
    private static string Tag(IDictionary<string, string> tags, string key) => tags.TryGetValue(key, out var value) ? value : "";

    private static string StoreTag(IDictionary<string, string> tags)
    {
        foreach (var (key, value) in tags)
            if (key.EndsWith("state_id", StringComparison.Ordinal)) return value;
        return "";
    }

    /// <summary>How long a scrape waits for the broker's answers to the lag read, per request.</summary>
    internal static readonly TimeSpan LagReadTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The lag is read from the broker at most this often; a scrape in between publishes the last read's figures.</summary>
    internal static readonly TimeSpan LagReadInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Publishes the group's consumer lag per source partition as <c>cartxsell_consumer_lag</c>, read from the broker when
    /// Prometheus scrapes, at most once per <see cref="LagReadInterval"/> (metadata, the committed offsets, and one offsets
    /// request per partition; off the scrape's thread). A read that fails or times out removes the group's series rather
    /// than leaving the last figures standing as if current.
    /// </summary>
    internal void BridgeLag(string group, Processing.GroupLag lag)
    {
        var series = new GroupSeries(_lag, group);
        var lastRead = long.MinValue;
        Registry.AddBeforeCollectCallback(async cancel =>
        {
            // Scraped more often than LagReadInterval (a benchmark polling /metrics), the figures of the last read stand.
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            var last = Interlocked.Read(ref lastRead);
            if (last != long.MinValue && System.Diagnostics.Stopwatch.GetElapsedTime(last, now) < LagReadInterval) return;
            Interlocked.Exchange(ref lastRead, now);
            IReadOnlyList<Processing.PartitionLag> read;
            try
            {
                read = await Task.Run(() => lag.Read(LagReadTimeout), cancel);
            }
            catch (Exception e)
            {
                // A scrape must not fail for it: the other metrics are still wanted, most of all while the broker is away.
                if (e is not (ObjectDisposedException or OperationCanceledException)) _lagReadFailures.WithLabels(group).Inc();
                read = [];
            }
            series.Replace(read.Select(p => (new[] { p.Partition.Topic, p.Partition.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) }, (double)p.Lag)));
        });
    }

    /// <summary>
    /// One group's series of a gauge, replaced as a whole at each read: a series the read no longer holds (a task that
    /// moved away, a lag that could not be read) is removed rather than left standing at its last value.
    /// </summary>
    private sealed class GroupSeries(Gauge gauge, string group)
    {
        private readonly Lock _gate = new();
        private Dictionary<string, string[]> _published = new(StringComparer.Ordinal);

        public void Replace(IEnumerable<(string[] Labels, double Value)> read)
        {
            lock (_gate)
            {
                var current = new Dictionary<string, string[]>(StringComparer.Ordinal);
                foreach (var (labels, value) in read)
                {
                    string[] all = [group, .. labels];
                    current[string.Join('\u001f', labels)] = all;
                    gauge.WithLabels(all).Set(value);
                }
                foreach (var (key, labels) in _published)
                    if (!current.ContainsKey(key)) gauge.RemoveLabelled(labels);
                _published = current;
            }
        }
    }

    /// <summary>Counts the records <paramref name="table"/> ignores, read from the table each time Prometheus scrapes.</summary>
    internal void CountIgnored(string group, Processing.IReplicated table) =>
        Registry.AddBeforeCollectCallback(() => _ignored.WithLabels(group, table.Topic).IncTo(table.Rejected));

    internal void Processed(string topology, string topic, TimeSpan took)
    {
        _processed.WithLabels(topology, topic).Inc();
        _processing.WithLabels(topology).Observe(took.TotalSeconds);
    }

    internal void DeadLettered(string topology, string topic, string kind) => _deadLettered.WithLabels(topology, topic, kind).Inc();
}
