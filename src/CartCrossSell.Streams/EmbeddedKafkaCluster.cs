using Confluent.Kafka;

namespace CartCrossSell.Streams;

/// <summary>
/// librdkafka's built-in mock cluster, started in process: the real Kafka protocol over loopback TCP, consumer
/// groups and idempotent producers included. It lives as long as this object. Limits (see README): topics are
/// created on first use with 4 partitions (no CreateTopics), no log compaction, no filtering of aborted
/// transactions, and transactional offset commits are not stored.
/// </summary>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    private readonly IProducer<byte[], byte[]> _owner;

    private EmbeddedKafkaCluster(IProducer<byte[], byte[]> owner, string bootstrapServers)
    {
        _owner = owner;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The address outside clients (kcat, another process) connect to.</summary>
    public string BootstrapServers { get; }

    public KafkaOptions ToOptions() => new() { BootstrapServers = BootstrapServers };

    public static EmbeddedKafkaCluster Start(int brokers = 1)
    {
        var config = new ProducerConfig { BootstrapServers = "embedded", LogConnectionClose = false };
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var owner = new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, _) => { }) // the mock announces itself at notice level; nothing to act on
            .Build();
        try
        {
            using var admin = new DependentAdminClientBuilder(owner.Handle).Build();
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
            var bootstrap = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
            return new EmbeddedKafkaCluster(owner, bootstrap);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    public void Dispose() => _owner.Dispose();
}
