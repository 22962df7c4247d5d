using Confluent.Kafka;

namespace CartCrossSell.Streams.Processing;

/// <summary>One source partition of a topology group: the group's committed offset (−1: none yet), and the partition's first and end offsets.</summary>
public readonly record struct PartitionLag(TopicPartition Partition, long Committed, long Start, long End)
{
    /// <summary>
    /// Records of the partition the group has not committed: from its committed offset to the end, or from the first
    /// record still held when nothing is committed (the group starts at the earliest offset) or the committed offset
    /// is older than what the broker still holds.
    /// </summary>
    public long Lag => End - Math.Max(Committed, Start) is var lag && lag > 0 ? lag : 0;
}

/// <summary>
/// Reads a topology group's consumer lag as the broker records it, the figures <c>kafka-consumer-groups --describe</c>
/// shows: per source partition (input and repartition topics, not the global tables' topics, which a global consumer
/// reads without committing), the group's committed offset against the partition's end. It never joins the group
/// (a consumer of the group's id that is never subscribed), so every instance reads the whole group's lag, wherever
/// the partitions are assigned. Its clients are built once and kept; calls are serialised.
/// </summary>
/// <remarks>
/// Why not Streamiz's consumer-lag sensor: it exists only with <c>ExposeLibrdKafkaStats</c>, which parses librdkafka's
/// statistics document of every client of every stream thread on a timer, and it measures against the end offset
/// librdkafka last saw in a fetch response: a partition Streamiz paused (its buffer full, exactly when the group falls
/// behind) is not fetched, so its end offset stands still while producers go on.
/// </remarks>
public sealed class GroupLag(string applicationId, Func<IReadOnlySet<string>> sourceTopics, KafkaOptions kafka) : IDisposable
{
    private readonly Lock _gate = new();
    private IAdminClient? _admin;
    private IConsumer<Ignore, Ignore>? _reader;
    private bool _disposed;

    /// <summary>Every source partition the broker knows, with the group's committed offset and the partition's offsets.</summary>
    /// <exception cref="KafkaException">the broker did not answer within <paramref name="timeout"/> (per request).</exception>
    /// <exception cref="ObjectDisposedException">after <see cref="Dispose"/>.</exception>
    public IReadOnlyList<PartitionLag> Read(TimeSpan timeout)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_admin is null)
            {
                _admin = new AdminClientBuilder(kafka.Apply(new AdminClientConfig())).SetLogHandler((_, _) => { }).Build();
                var config = new ConsumerConfig { GroupId = applicationId, EnableAutoCommit = false, EnableAutoOffsetStore = false };
                kafka.Apply(config);
                _reader = new ConsumerBuilder<Ignore, Ignore>(config).SetLogHandler((_, _) => { }).Build();
            }
            var sources = sourceTopics();
            // Repartition topics are named after the application id in the cluster, without it in the topology.
            var partitions = _admin.GetMetadata(timeout).Topics
                .Where(t => sources.Contains(t.Topic) || (t.Topic.StartsWith(applicationId + "-", StringComparison.Ordinal) && sources.Contains(t.Topic[(applicationId.Length + 1)..])))
                .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)))
                .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition.Value)
                .ToList();
            if (partitions.Count == 0) return [];
            var committed = _reader!.Committed(partitions, timeout).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
            var lags = new List<PartitionLag>(partitions.Count);
            foreach (var partition in partitions)
            {
                var offsets = _reader.QueryWatermarkOffsets(partition, timeout);
                lags.Add(new PartitionLag(partition, committed.GetValueOrDefault(partition, -1), offsets.Low.Value, offsets.High.Value));
            }
            return lags;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _reader?.Close();
            _reader?.Dispose();
            _admin?.Dispose();
        }
    }
}
